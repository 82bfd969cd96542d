"""Language of a text from its letters' scripts.

Values: ``th``, a Latin-script language (``en``, ``vi``, ``id``, ``ms``, ``tl``, ``es``, ``pt``,
``fr``, ``de``; see below), ``mixed`` (Thai and Latin), an ISO 639-1 code where
the script names one language (``lo``, ``km``, ``my``, ``ko``, ``ja``, ``zh``, ``el``,
``he``, ``ka``, ``hy``), a BCP 47 "undetermined language in this script" tag where several
languages share it (``und-Arab``, ``und-Cyrl``, ``und-Deva``, ``und-Beng``, ``und-Taml``),
``other`` for anything else, and ``und`` when there are no letters.

What is not counted: masks (``[URL]``, ``[@]``, ``[โทร]`` …), URLs, e-mail addresses,
@handles and #hashtags (hashtags only when nothing else has letters), digits, emoji.

Thresholds, with ``T`` and ``L`` the shares of Thai and Latin letters:

* ``th`` when T ≥ 0.8, or T ≥ 0.5 with at most 2 Latin words (a Thai post naming
  ``ST Plus`` or saying ``OK`` is Thai);
* Latin (``en`` or another Latin-script language) when L ≥ 0.8, or L ≥ 0.5 with at most
  8 Thai letters (about two Thai words);
* ``mixed`` when T + L ≥ 0.8 otherwise;
* else the script holding at least half of the letters (Han with 5 % or more kana is ``ja``,
  Hangul ``ko``), else ``other``.

Which Latin-script language (``latin_language``): each language has a short list of function
words (articles, pronouns, particles, "not", "and" …; a word may be in several lists) and
scores one point for each word of the text on its list; Vietnamese also scores a point for
each word with a letter only Vietnamese uses (ă đ ơ ư, and the tone marks of U+1EA0–U+1EF9:
ạ ả ấ ầ ẩ ẫ ậ ắ … ự ỳ ỵ ỷ ỹ), Indonesian/Malay for each word ending in ``-nya``. A language
other than English is reported when it scores at least 2, at least a quarter of the number of
Latin words, and more than English; a tie between two such languages goes to the one with
more of its own letters (ñ ¿ ¡ Spanish, ã õ Portuguese, ä ö ü ß German, è ë î ï û ù œ
French), then to the order of ``LATIN_LANGUAGES``. Anything else (brand names, one or two
words, slang, hashtags) is ``en``. Indonesian and Malay share most function words: the group
is ``id`` unless words used in Malaysia (``tak``, ``nak``, ``kerana``, ``mahu``, ``sahaja`` …)
outnumber words used in Indonesia (``bisa``, ``gak``, ``karena``, ``banget``, ``udah`` …),
then ``ms``. Thai with another Latin-script language is ``mixed``, as Thai with English is.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

from enrich.privacy import EMAIL_MASK, HANDLE_MASK, ID_MASK, PHONE_MASK, URL_MASK

_IGNORED = re.compile(
    "|".join(re.escape(m) for m in (URL_MASK, HANDLE_MASK, PHONE_MASK, ID_MASK, EMAIL_MASK))
    + r"|(?:https?://|www\.)\S+"
    + r"|(?<![\w.+\-])[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"
    + r"|(?<![\w@])@[A-Za-z0-9_.]+",
    re.IGNORECASE,
)
_HASHTAG = re.compile(r"#\w+")
_THAI = re.compile(r"[\u0e01-\u0e3a\u0e40-\u0e4e]")
_THAI_NOT_LETTERS = frozenset("\u0e2f\u0e46")  # ฯ ๆ: punctuation-like
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]+")
_OTHER = re.compile(r"[^\x00-\u024f\u0e00-\u0e7f\u1e00-\u1eff]")

# (first code point, last code point, script); code points between ranges have no script here.
_RANGES = sorted([
    (0x0370, 0x03FF, "el"), (0x1F00, 0x1FFF, "el"),
    (0x0400, 0x052F, "und-Cyrl"), (0x1C80, 0x1C8F, "und-Cyrl"), (0x2DE0, 0x2DFF, "und-Cyrl"), (0xA640, 0xA69F, "und-Cyrl"),
    (0x0530, 0x058F, "hy"),
    (0x0590, 0x05FF, "he"), (0xFB1D, 0xFB4F, "he"),
    (0x0600, 0x06FF, "und-Arab"), (0x0750, 0x077F, "und-Arab"), (0x08A0, 0x08FF, "und-Arab"),
    (0xFB50, 0xFDFF, "und-Arab"), (0xFE70, 0xFEFF, "und-Arab"),
    (0x0900, 0x097F, "und-Deva"), (0xA8E0, 0xA8FF, "und-Deva"),
    (0x0980, 0x09FF, "und-Beng"),
    (0x0B80, 0x0BFF, "und-Taml"),
    (0x0E80, 0x0EFF, "lo"),
    (0x1000, 0x109F, "my"), (0xA9E0, 0xA9FF, "my"), (0xAA60, 0xAA7F, "my"),
    (0x10A0, 0x10FF, "ka"), (0x2D00, 0x2D2F, "ka"),
    (0x1100, 0x11FF, "ko"), (0x3130, 0x318F, "ko"), (0xA960, 0xA97F, "ko"), (0xAC00, 0xD7FF, "ko"),
    (0x1780, 0x17FF, "km"), (0x19E0, 0x19FF, "km"),
    (0x3040, 0x30FF, "kana"), (0x31F0, 0x31FF, "kana"), (0xFF66, 0xFF9F, "kana"),
    (0x3400, 0x4DBF, "han"), (0x4E00, 0x9FFF, "han"), (0xF900, 0xFAFF, "han"), (0x20000, 0x3FFFF, "han"),
])
_STARTS = [r[0] for r in _RANGES]
TH_MIN, EN_MIN, MIXED_MIN, SCRIPT_MIN = 0.8, 0.8, 0.8, 0.5
TH_SOFT, MAX_LATIN_WORDS = 0.5, 2  # Thai with a few Latin names is still Thai
EN_SOFT, MAX_THAI_LETTERS = 0.5, 8  # English with a Thai word or two is still English
KANA_MIN = 0.05  # share of kana among Han + kana letters that makes it Japanese


# Function words by language, as typed in social posts (with and without accents); a word
# may be in several lists. ``l'``, ``d'`` … are French elisions (a word's trailing apostrophe
# is kept; ``don't`` reads as ``don'`` + ``t``, and ``don'`` is looked up as ``don``).
_FUNCTION_WORDS = {
    "en": """the a an and or but of to in on at for with from by about into after as is are was
        were be been being am do does did don doesn didn have has had haven hasn will would won
        can could couldn should shouldn must not no yes this that these those it its i me my you
        your he him his she her we us our they them their what which who when where why how
        there here if so just very too also all any some more than then only please thanks thank
        hello get got isn aren wasn again still now may""",
    "vi": """không khong được duoc của cua và là có tôi toi các cac này những nhung một mot cho
        với voi đã rồi roi bạn mình minh thì thi mà nhưng khi để nên vì ở anh chị ạ nhé nhe nha
        lắm quá rất gì người nguoi nhiều nhieu cũng cung đang dang sẽ nay qua nua chua rat lam ko
        dc đc xin chào""",
    "id": """yang dan di ke dari untuk dengan ini itu tidak tak ada saya aku kami kita anda kamu
        dia mereka akan sudah belum bisa boleh juga atau tapi tetapi karena kerana kalau kalo
        jika apa apakah bagaimana gimana kenapa mengapa sangat lagi masih hanya saja sahaja pun
        lah nak mau mahu harus perlu udah dah gak nggak enggak tdk yg dgn utk aja banget dong sih
        kok deh nya terima kasih tolong mohon sekarang ya sama oleh pada dalam tentang seperti
        buat bagi kat selamat pagi siang malam tanya kak kakak pak bapak bu ibu mbak gan""",
    "tl": """ang ng mga sa na ay at ako ikaw ka siya kami tayo kayo sila ko mo niya namin natin
        ninyo nila ito iyan yan iyon yun yung dito diyan doon hindi huwag wala walang may meron
        mayroon po opo naman lang lamang din rin pa ba kasi pero dahil para kung kaya sana talaga
        nga salamat paano bakit ano sino saan kailan nang si ni kay pag sobrang ganun ganito""",
    "es": """el la los las un una unos unas de del al a y o que en es son era fue está están
        estoy estás no sí si por para con sin pero muy más mi mis tu tus su sus yo él ella
        nosotros ustedes ellos lo le les me te se nos este esta esto ese esa eso hay han hoy ya
        también cuando donde dónde qué cómo como porque gracias hola todo nada puedo tengo tiene
        hace desde hasta ni nunca siempre ahora bien""",
    "pt": """o a os as um uma uns umas de do da dos das no na nos nas em e é que não nao com
        para pra por mas muito muita meu minha você voce vc eu ele ela nós eles elas isso isto
        este esta esse essa está estou tem ter foi ser já também quando onde porque obrigado
        obrigada olá se me te tu lhe ao aos pelo pela mais ainda nada tudo sem como até agora
        sempre nunca desde""",
    "fr": """le la les l' un une des du de d' et est sont était être a à ai avez avons ont pas
        ne n' je j' tu il elle nous vous ils elles on ce c' cette ces cet mon ma mes ton ta tes
        son sa ses votre vos notre nos leur leurs que qu' qui quoi dans pour avec sur par au aux
        mais ou où très bien merci bonjour y en se s' si me m' te t' lui moi toi ça suis fait été
        rien toujours encore depuis chez sans aussi comme""",
    "de": """der die das den dem des ein eine einen einem einer und ist sind war waren nicht
        kein keine ich du er sie es wir ihr mit von zu zum zur auf für im in an am bei aus nach
        auch aber oder wie was wenn dass daß noch schon sehr nur mein meine dein deine ihre
        unser hat habe haben wird werden kann können bitte danke ja nein nichts immer wieder
        seit heute mir mich dir dich uns euch man so doch hier gibt mehr""",
}
LATIN_LANGUAGES = ("vi", "id", "tl", "es", "pt", "fr", "de")  # besides en; order breaks ties


def _languages_by_word(lists: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """word → the languages whose list holds it, in the lists' order (one pass: built at import)."""
    out: dict[str, tuple[str, ...]] = {}
    for lang, words in lists.items():
        for w in dict.fromkeys(words.split()):
            out[w] = out.get(w, ()) + (lang,)
    return out


_WORD_LANGUAGES = _languages_by_word(_FUNCTION_WORDS)

# Words that tell Malaysian from Indonesian usage (counted only once the pair has won).
_MALAY = frozenset(
    "tak nak kerana mahu sahaja awak akaun percuma sila kat je jer macam mcm dah boleh betul encik ringgit".split()
)
_INDONESIAN = frozenset(
    "bisa karena mau gak nggak enggak ga gk ngga banget udah aja dong sih kok deh gimana uang akun mobil gratis "
    "silakan kalo emang nih tuh gue gua lu rupiah bikin kayak".split()
)
# Letters that break a tie between two languages with the same score.
_OWN_LETTERS = {"es": "ñ¿¡", "pt": "ãõ", "de": "äöüß", "fr": "èëîïûùœ"}
_LATIN_TOKEN = re.compile(r"[a-z\u00c0-\u024f\u1e00-\u1eff]+'?")
_VI_WORD = re.compile(r"[a-z\u00c0-\u024f\u1e00-\u1eff]*[ăđơư\u1ea0-\u1ef9][a-z\u00c0-\u024f\u1e00-\u1eff]*")
_COMBINING = re.compile("[\u0300-\u036f]")
LATIN_MIN, LATIN_SHARE = 2, 0.25  # points a language other than English needs, and per word


def script_of(ch: str) -> str | None:
    """The language or script tag of one non-Thai, non-Latin letter (None: not classified)."""
    cp = ord(ch)
    i = bisect.bisect_right(_STARTS, cp) - 1
    if i >= 0 and cp <= _RANGES[i][1]:
        return _RANGES[i][2]
    return None


def _counts(text: str) -> tuple[int, int, int, dict[str, int]]:
    thai = len(_THAI.findall(text)) - sum(text.count(c) for c in _THAI_NOT_LETTERS)
    latin_words = _LATIN_WORD.findall(text)
    others: dict[str, int] = {}
    for ch in _OTHER.findall(text):
        if ch.isalpha() or "\u3040" <= ch <= "\u30ff":  # kana marks (ー) count with kana
            tag = script_of(ch) or "other"
            others[tag] = others.get(tag, 0) + 1
    return thai, sum(map(len, latin_words)), len(latin_words), others


def latin_language(text: str) -> str:
    """The language of Latin-script text: ``en`` unless another language's function words (and,
    for Vietnamese, letters) say otherwise; see the module doc. Masks and URLs are not removed here."""
    low = text.lower().replace("\u2019", "'")
    ascii_only = low.isascii()
    if not ascii_only and _COMBINING.search(low):
        low = unicodedata.normalize("NFC", low)  # decomposed accents: ư + ̀  -> ừ
    scores = dict.fromkeys(_FUNCTION_WORDS, 0)
    tokens = _LATIN_TOKEN.findall(low)
    for w in tokens:
        langs = _WORD_LANGUAGES.get(w)
        if langs is None and w[-1] == "'":
            langs = _WORD_LANGUAGES.get(w[:-1])
        if langs:
            for lang in langs:
                scores[lang] += 1
        elif len(w) > 5 and w.endswith("nya"):  # aplikasinya, uangnya
            scores["id"] += 1
    if not ascii_only:
        scores["vi"] += len(_VI_WORD.findall(low))
    best = max(LATIN_LANGUAGES, key=scores.__getitem__)  # first of the best, in LATIN_LANGUAGES order
    top = scores[best]
    if top < LATIN_MIN or top < LATIN_SHARE * len(tokens) or top <= scores["en"]:
        return "en"
    tied = [lang for lang in LATIN_LANGUAGES if scores[lang] == top]
    if len(tied) > 1 and not ascii_only:
        best = max(tied, key=lambda lang: sum(map(low.count, _OWN_LETTERS.get(lang, ""))))
    if best == "id" and sum(w in _MALAY for w in tokens) > sum(w in _INDONESIAN for w in tokens):
        return "ms"
    return best


def detect_language(text: str) -> str:
    """``th``, a Latin-script language (``en`` …), ``mixed``, a language or script tag, ``other``,
    or ``und``; see the module doc."""
    text = _IGNORED.sub(" ", text)
    read = _HASHTAG.sub(" ", text)
    thai, latin, latin_words, others = _counts(read)
    if not (thai or latin or others):
        read = text
        thai, latin, latin_words, others = _counts(text)  # nothing but hashtags: read them
    letters = thai + latin + sum(others.values())
    if letters == 0:
        return "und"
    t, lat = thai / letters, latin / letters
    if t >= TH_MIN or (t >= TH_SOFT and latin_words <= MAX_LATIN_WORDS):
        return "th"
    if lat >= EN_MIN or (lat >= EN_SOFT and thai <= MAX_THAI_LETTERS):
        return latin_language(read)
    if thai and latin and t + lat >= MIXED_MIN:
        return "mixed"
    cjk = others.pop("han", 0) + (kana := others.pop("kana", 0))
    if cjk:
        others["ja" if kana >= KANA_MIN * cjk else "zh"] = cjk
    if "ko" in others and "zh" in others:  # Korean text may carry Hanja
        others["ko"] += others.pop("zh")
    tag, n = max(others.items(), key=lambda kv: kv[1], default=("other", 0))
    return tag if n / letters >= SCRIPT_MIN else "other"
