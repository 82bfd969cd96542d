"""Which Latin-script language: English kept apart from the languages a Thai social stream
carries (Vietnamese, Indonesian/Malay, Tagalog, Spanish, Portuguese, French, German), while
brand names, slang and short posts stay ``en`` and Thai or Thai-mixed posts are unchanged."""

from __future__ import annotations

import unicodedata

import pytest

from enrich.language import LATIN_LANGUAGES, detect_language, latin_language
from enrich.normalize import normalize


@pytest.mark.parametrize("text, lang", [
    # Vietnamese: by its own letters (ư ơ ă đ ạ ả ấ …), or by function words without accents
    ("Ứng dụng ngân hàng lại bị lỗi, tôi không chuyển tiền được từ sáng đến giờ. Mong các bạn xử lý sớm!", "vi"),
    ("Shop ơi, đơn hàng của mình đặt tuần trước mà đến giờ vẫn chưa giao, hotline thì không ai nghe máy.", "vi"),
    ("Cảm ơn bạn", "vi"),
    ("sp nay dung ko tot, giao hang cham qua, khong bao gio mua nua", "vi"),
    # Indonesian, and Malay when Malaysian words outnumber Indonesian ones
    ("Kak, apakah produk ini bisa dikirim ke Jakarta? Berapa lama pengirimannya?", "id"),
    ("Aplikasinya error terus dari kemarin, gak bisa login sama sekali. Tolong dibantu ya min", "id"),
    ("Terima kasih banyak", "id"),
    ("Saya nak tanya, kenapa akaun saya tak boleh log masuk sejak semalam? Tolong bantu.", "ms"),
    ("Servis kat cawangan ni memang lambat, dah tunggu sejam tapi tak dipanggil lagi", "ms"),
    # Tagalog, also Taglish
    ("Hindi po gumagana yung app ninyo simula kahapon, paano po mag-login ulit?", "tl"),
    ("Salamat po sa mabilis na sagot, okay na po ang account ko.", "tl"),
    ("Yung app ninyo is always down, sobrang hassle talaga", "tl"),
    # French (elisions l' j' n' c' count), German, Spanish, Portuguese
    ("L'application de la banque ne fonctionne plus depuis ce matin, je n'arrive pas à me connecter.", "fr"),
    ("Merci pour votre réponse rapide, le problème est réglé.", "fr"),
    ("C’est la troisième fois que ma carte est bloquée au distributeur à Bangkok.", "fr"),
    ("Die App funktioniert seit gestern nicht mehr, ich kann mich nicht einloggen.", "de"),
    ("Das Hotel war sehr schön und das Personal ist wirklich freundlich.", "de"),
    ("La aplicación del banco no funciona desde ayer y nadie contesta el teléfono.", "es"),
    ("¿Alguien sabe si el cajero del aeropuerto acepta tarjetas extranjeras?", "es"),
    ("O aplicativo do banco não funciona desde ontem, ninguém atende o telefone.", "pt"),
    ("Alguém sabe se dá para usar o cartão no caixa eletrônico do aeroporto?", "pt"),
])
def test_latin_languages(text, lang):
    assert detect_language(text) == lang
    assert detect_language(normalize(text)) == lang  # as the enricher calls it


@pytest.mark.parametrize("text", [
    "The app is down again",
    "The SaengThong app is down again ล่ม",
    "My card was declined at the ATM in Bangkok, can someone help?",
    "I'm in Bangkok and I don’t have my card, what can I do?",
    "Singha is the best beer",
    "I love the Lancôme foundation!! 💞",
    "Disney Plus is on sale",
    "Ha ha ha so funny",
    "u r so cute",
    "No money 😭😭",
    # a Vietnamese name in an English sentence
    "Nguyễn Văn Đức said the app is down again and nobody answers the hotline",
    # brand names, shop shorthand, slang, hashtags: no function words, or too few for the length
    "L'Oréal Paris ค่ะ",
    "L'Oréal t rue matt 399 Lip shine on 399 Brow artist 399",
    "Cf lip dior 126 680",
    "La Roche-Posay",
    "Dior de Paris",
    "Das Boot",
    "Pajero Sport 2018 ครับ",
    "lol 555",
    "Gracias",
    "#SaengThongDown #AppDown",
    "#TerimaKasih",
    "@dung_nguyen [URL] wow",
])
def test_english_and_short_latin_stay_en(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text, lang", [
    ("ธนาคารแสงทองบริการดีมาก", "th"),
    ("แอป ST Plus ล่ม login ไม่ได้", "mixed"),
    ("วันนี้ไป meeting กับ client เรื่อง project ใหม่", "mixed"),
    # Thai with another Latin-script language follows the same rule as Thai with English
    ("ร้านนี้ ngon lắm nha อร่อยมาก đồ ăn rất tươi", "mixed"),
    ("ร้านนี้อร่อยมาก เพื่อนบอกว่า ngon quá", "th"),
    ("แอปธนาคารใช้ไม่ได้ tidak bisa login", "mixed"),
])
def test_thai_and_mixed_unchanged(text, lang):
    assert detect_language(text) == lang


def test_decomposed_vietnamese_accents():
    text = unicodedata.normalize("NFD", "Tôi không đăng nhập được vào ứng dụng")
    assert detect_language(text) == "vi"


def test_latin_language_direct():
    assert latin_language("") == "en"
    assert latin_language("Merci beaucoup, c'est parfait") == "fr"
    assert set(LATIN_LANGUAGES) == {"vi", "id", "tl", "es", "pt", "fr", "de"}  # ms is told apart from id
