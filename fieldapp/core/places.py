"""Places in words, for sentences people read: a holiday calendar's region (ISO country,
optionally `-` subdivision: "CN", "US-MA") and a time zone ("Asia/Shanghai"), in English or
Chinese. "a working day in mainland China", "09:30 China time", "北京时间 09:30".

The names are data (a name is not a translation of a code); a code not listed falls back
to a readable form of itself, never to an invented name.
"""

from __future__ import annotations

REGIONS: dict[str, dict[str, str]] = {
    "CN": {"en": "mainland China", "zh_CN": "中国大陆"},
    "HK": {"en": "Hong Kong", "zh_CN": "香港"},
    "MO": {"en": "Macao", "zh_CN": "澳门"},
    "TW": {"en": "Taiwan", "zh_CN": "台湾"},
    "US": {"en": "the United States", "zh_CN": "美国"},
    "US-MA": {"en": "Massachusetts", "zh_CN": "美国马萨诸塞州"},
    "US-NY": {"en": "New York State", "zh_CN": "美国纽约州"},
    "US-CA": {"en": "California", "zh_CN": "美国加利福尼亚州"},
    "US-TX": {"en": "Texas", "zh_CN": "美国得克萨斯州"},
    "US-IL": {"en": "Illinois", "zh_CN": "美国伊利诺伊州"},
    "GB": {"en": "the United Kingdom", "zh_CN": "英国"},
    "GB-ENG": {"en": "England", "zh_CN": "英格兰"},
    "GB-SCT": {"en": "Scotland", "zh_CN": "苏格兰"},
    "GB-WLS": {"en": "Wales", "zh_CN": "威尔士"},
    "GB-NIR": {"en": "Northern Ireland", "zh_CN": "北爱尔兰"},
    "IE": {"en": "Ireland", "zh_CN": "爱尔兰"},
    "AU": {"en": "Australia", "zh_CN": "澳大利亚"},
    "AU-NSW": {"en": "New South Wales", "zh_CN": "澳大利亚新南威尔士州"},
    "AU-VIC": {"en": "Victoria", "zh_CN": "澳大利亚维多利亚州"},
    "AU-QLD": {"en": "Queensland", "zh_CN": "澳大利亚昆士兰州"},
    "AU-WA": {"en": "Western Australia", "zh_CN": "澳大利亚西澳大利亚州"},
    "IN": {"en": "India", "zh_CN": "印度"},
    "SG": {"en": "Singapore", "zh_CN": "新加坡"},
}

# Zones by the place people name their clock after ("China time", "北京时间").
ZONES: dict[str, dict[str, str]] = {
    "Asia/Shanghai": {"en": "China", "zh_CN": "北京"},
    "Asia/Chongqing": {"en": "China", "zh_CN": "北京"},
    "Asia/Harbin": {"en": "China", "zh_CN": "北京"},
    "PRC": {"en": "China", "zh_CN": "北京"},
    "Asia/Urumqi": {"en": "Urumqi", "zh_CN": "乌鲁木齐"},
    "Asia/Hong_Kong": {"en": "Hong Kong", "zh_CN": "香港"},
    "Asia/Macau": {"en": "Macao", "zh_CN": "澳门"},
    "Asia/Taipei": {"en": "Taipei", "zh_CN": "台北"},
    "Asia/Singapore": {"en": "Singapore", "zh_CN": "新加坡"},
    "Asia/Tokyo": {"en": "Tokyo", "zh_CN": "东京"},
    "Asia/Kolkata": {"en": "India", "zh_CN": "印度"},
    "Asia/Calcutta": {"en": "India", "zh_CN": "印度"},
    "Europe/London": {"en": "UK", "zh_CN": "英国"},
    "Europe/Dublin": {"en": "Irish", "zh_CN": "爱尔兰"},
    "America/New_York": {"en": "US Eastern", "zh_CN": "美国东部"},
    "America/Chicago": {"en": "US Central", "zh_CN": "美国中部"},
    "America/Denver": {"en": "US Mountain", "zh_CN": "美国山地"},
    "America/Phoenix": {"en": "Arizona", "zh_CN": "美国亚利桑那"},
    "America/Los_Angeles": {"en": "US Pacific", "zh_CN": "美国太平洋"},
    "America/Anchorage": {"en": "Alaska", "zh_CN": "美国阿拉斯加"},
    "Pacific/Honolulu": {"en": "Hawaii", "zh_CN": "美国夏威夷"},
    "Australia/Sydney": {"en": "Sydney", "zh_CN": "悉尼"},
    "Australia/Melbourne": {"en": "Melbourne", "zh_CN": "墨尔本"},
    "Australia/Brisbane": {"en": "Brisbane", "zh_CN": "布里斯班"},
    "Australia/Adelaide": {"en": "Adelaide", "zh_CN": "阿德莱德"},
    "Australia/Perth": {"en": "Perth", "zh_CN": "珀斯"},
    "UTC": {"en": "UTC", "zh_CN": "UTC"},
    "Etc/UTC": {"en": "UTC", "zh_CN": "UTC"},
}
_JOIN = {"en": "{sub}, {country}", "zh_CN": "{country}{sub}"}


def region_name(code: str | None, lang: str = "en") -> str:
    """'CN' -> 'mainland China' / '中国大陆'; 'US-WA' -> 'WA, the United States' / '美国WA'."""
    if not code:
        return ""
    key = code.strip().upper()
    known = REGIONS.get(key)
    if known:
        return known.get(lang) or known["en"]
    country, _, sub = key.partition("-")
    if sub and country in REGIONS:
        named = REGIONS[country].get(lang) or REGIONS[country]["en"]
        return _JOIN.get(lang, _JOIN["en"]).format(sub=sub, country=named)
    return code


def zone_place(zone: str | None, lang: str = "en") -> str:
    """The place a zone's clock is named after: 'Asia/Shanghai' -> 'China' / '北京' (for
    "China time" / "北京时间"); an unlisted zone -> its city ('Pacific/Kiritimati' -> 'Kiritimati')."""
    if not zone:
        return ""
    known = ZONES.get(zone)
    if known:
        return known.get(lang) or known["en"]
    return zone.rsplit("/", 1)[-1].replace("_", " ")
