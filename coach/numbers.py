"""Numbers as each language says them: 1..200 (coach's counts and step numbers never go
higher), written the way the language's voice reads them right.

English, German, French and Spanish write words ("twenty one", "einundzwanzig", "vingt et
un", "veintiuno"); Japanese writes kanji numerals (一, 二十一), which
its voice reads as counted aloud: いち、に、さん、よん、ご、ろく、なな、はち、きゅう、じゅう.
"""

from __future__ import annotations

from collections.abc import Callable

_EN = (
    "one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen twenty"
).split()
_EN_TENS = {
    2: "twenty",
    3: "thirty",
    4: "forty",
    5: "fifty",
    6: "sixty",
    7: "seventy",
    8: "eighty",
    9: "ninety",
}


def english(n: int) -> str:
    """English words for 1..200, as counted aloud."""
    if n <= 20:
        return _EN[n - 1]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _EN_TENS[tens] + (f" {_EN[ones - 1]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    head = f"{_EN[hundreds - 1]} hundred"
    return head + (f" and {english(rest)}" if rest else "")


_KANJI = "一二三四五六七八九"


def japanese(n: int) -> str:
    """Kanji numerals for 1..999: 一, 十二, 二十, 百五."""
    out = ""
    for value, sign in ((100, "百"), (10, "十")):
        digit, n = divmod(n, value)
        if digit:
            out += ("" if digit == 1 else _KANJI[digit - 1]) + sign
    return out + (_KANJI[n - 1] if n else "")


_DE = (
    "eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf dreizehn vierzehn "
    "fünfzehn sechzehn siebzehn achtzehn neunzehn"
).split()
_DE_TENS = {
    2: "zwanzig",
    3: "dreißig",
    4: "vierzig",
    5: "fünfzig",
    6: "sechzig",
    7: "siebzig",
    8: "achtzig",
    9: "neunzig",
}


def german(n: int) -> str:
    """German words for 1..999, written as one word as German does: einundzwanzig,
    hundertzwölf."""
    hundreds, rest = divmod(n, 100)
    head = "" if hundreds == 0 else "hundert" if hundreds == 1 else _DE[hundreds - 1] + "hundert"
    if rest == 0:
        return head
    if rest < 20:
        return head + _DE[rest - 1]
    tens, ones = divmod(rest, 10)
    unit = ("ein" if ones == 1 else _DE[ones - 1]) + "und" if ones else ""
    return head + unit + _DE_TENS[tens]


_FR = (
    "un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze "
    "seize dix-sept dix-huit dix-neuf"
).split()
_FR_TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}


def french(n: int) -> str:
    """French words for 1..999, in the traditional spelling
    (vingt et un, soixante-dix, quatre-vingts, deux cents)."""
    hundreds, rest = divmod(n, 100)
    head = "" if hundreds == 0 else "cent" if hundreds == 1 else _FR[hundreds - 1] + " cent"
    if hundreds > 1 and rest == 0:
        return head + "s"
    if rest == 0:
        return head
    tail = _french_below_100(rest)
    return f"{head} {tail}" if head else tail


def _french_below_100(n: int) -> str:
    if n < 20:
        return _FR[n - 1]
    if n >= 80:
        rest = n - 80
        return "quatre-vingts" if rest == 0 else "quatre-vingt-" + _FR[rest - 1]
    if n >= 60:
        base, rest = "soixante", n - 60
    else:
        base, rest = _FR_TENS[n // 10], n % 10
    if rest == 0:
        return base
    if rest in (1, 11):
        return f"{base} et {_FR[rest - 1]}"
    return f"{base}-{_FR[rest - 1]}"


_ES = (
    "uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince "
    "dieciséis diecisiete dieciocho diecinueve veinte veintiuno veintidós veintitrés "
    "veinticuatro veinticinco veintiséis veintisiete veintiocho veintinueve"
).split()
_ES_TENS = {
    3: "treinta",
    4: "cuarenta",
    5: "cincuenta",
    6: "sesenta",
    7: "setenta",
    8: "ochenta",
    9: "noventa",
}
_ES_HUNDREDS = {
    1: "ciento",
    2: "doscientos",
    3: "trescientos",
    4: "cuatrocientos",
    5: "quinientos",
    6: "seiscientos",
    7: "setecientos",
    8: "ochocientos",
    9: "novecientos",
}


def spanish(n: int) -> str:
    """Spanish words for 1..999: veintiuno, treinta y dos, cien, ciento uno, doscientos."""
    hundreds, rest = divmod(n, 100)
    if n == 100:
        return "cien"
    head = _ES_HUNDREDS[hundreds] if hundreds else ""
    if rest == 0:
        return head
    if rest < 30:
        tail = _ES[rest - 1]
    else:
        tens, ones = divmod(rest, 10)
        tail = _ES_TENS[tens] + (f" y {_ES[ones - 1]}" if ones else "")
    return f"{head} {tail}" if head else tail


WORDS: dict[str, Callable[[int], str]] = {
    "en": english,
    "ja": japanese,
    "de": german,
    "fr": french,
    "es": spanish,
}


def words(n: int, language: str) -> str:
    """``n`` (1..200) as ``language`` (a code with a catalog, coach.phrases) says it."""
    return WORDS[language](n)
