"""Name tables of the SEC transforms: ISO 3166 countries (`countrynameen`) and EDGAR
state / province / country codes (`edgarprovcountryen`), lower-case names → codes.

Only names whose codes are certain are listed; others are a transform error (a clear
`FilingError` under the lxml engine) rather than a guessed code.
"""

from __future__ import annotations

COUNTRIES = {
    "united states": "US", "united states of america": "US", "usa": "US", "canada": "CA",
    "mexico": "MX", "united kingdom": "GB", "england": "GB", "ireland": "IE",
    "germany": "DE", "france": "FR", "italy": "IT", "spain": "ES", "portugal": "PT",
    "netherlands": "NL", "the netherlands": "NL", "belgium": "BE", "luxembourg": "LU",
    "switzerland": "CH", "austria": "AT", "sweden": "SE", "norway": "NO", "denmark": "DK",
    "finland": "FI", "iceland": "IS", "poland": "PL", "greece": "GR", "cyprus": "CY",
    "malta": "MT", "israel": "IL", "china": "CN", "hong kong": "HK", "taiwan": "TW",
    "japan": "JP", "south korea": "KR", "korea, republic of": "KR", "singapore": "SG",
    "india": "IN", "australia": "AU", "new zealand": "NZ", "brazil": "BR",
    "argentina": "AR", "chile": "CL", "colombia": "CO", "peru": "PE", "south africa": "ZA",
    "cayman islands": "KY", "bermuda": "BM", "british virgin islands": "VG",
    "virgin islands, british": "VG", "bahamas": "BS", "panama": "PA",
    "marshall islands": "MH", "jersey": "JE", "guernsey": "GG", "isle of man": "IM",
    "puerto rico": "PR", "monaco": "MC", "liechtenstein": "LI", "united arab emirates": "AE",
}
# EDGAR codes: US states are their postal codes; Canadian provinces A0–B0; some countries.
EDGAR_CODES = {
    "alberta": "A0", "british columbia": "A1", "manitoba": "A2", "new brunswick": "A3",
    "newfoundland": "A4", "newfoundland and labrador": "A4", "nova scotia": "A5",
    "ontario": "A6", "prince edward island": "A7", "quebec": "A8", "saskatchewan": "A9",
    "yukon": "B0", "canada (federal level)": "Z4", "canada": "Z4",
    "cayman islands": "E9", "bermuda": "D0", "british virgin islands": "D8",
    "virgin islands, british": "D8", "israel": "L3", "united kingdom": "X0",
    "netherlands": "P7", "the netherlands": "P7", "switzerland": "V8", "luxembourg": "N4",
    "china": "F4", "japan": "M0", "germany": "2M", "france": "I0", "ireland": "L2",
    "marshall islands": "1T", "singapore": "U0", "hong kong": "K3", "australia": "C3",
    "india": "K7", "jersey": "Y9",
}
