"""Thai (and English) labels for what people read."""

SENTIMENT = {
    "pos": ("เชิงบวก", "positive"),
    "neu": ("เป็นกลาง", "neutral"),
    "neg": ("เชิงลบ", "negative"),
    "q": ("คำถาม", "question"),
}
EXPECTATION = {
    "delighted": ("ประทับใจ", "delighted"),
    "satisfied": ("พอใจ", "satisfied"),
    "disappointed": ("ผิดหวัง", "disappointed"),
    "none": ("ไม่ได้ประเมิน", "none"),
}
INCIDENT_STATE = {
    "open": ("เปิดอยู่", "open"),
    "acknowledged": ("รับทราบแล้ว", "acknowledged"),
    "resolved": ("ปิดแล้ว", "resolved"),
}


def th(table: dict, key: str | None) -> str:
    if key is None:
        return "-"
    return table.get(key, (key, key))[0]
CATEGORY = {
    "product_service": ("สินค้าและบริการ", "products and services"),
    "customer_support": ("การดูแลลูกค้า", "customer support"),
    "transaction": ("ธุรกรรม", "transactions"),
    "relationship": ("ความสัมพันธ์และภาพลักษณ์", "relationship"),
    "other": ("อื่น ๆ", "other"),
}
COMPLAINT_TYPE = {
    "product_quality": ("คุณภาพสินค้า", "product quality"),
    "service_staff": ("บริการ/พนักงาน", "service and staff"),
    "price_billing": ("ราคา/การเรียกเก็บเงิน", "price and billing"),
    "delivery_logistics": ("การจัดส่ง", "delivery"),
    "digital_outage": ("ระบบดิจิทัลขัดข้อง", "digital outage"),
    "facility_environment": ("สถานที่/สิ่งแวดล้อม", "facility and environment"),
    "safety_health": ("ความปลอดภัย/สุขภาพ", "safety and health"),
    "fraud_scam": ("การฉ้อโกง", "fraud and scams"),
    "other": ("อื่น ๆ", "other"),
}
