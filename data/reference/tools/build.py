#!/usr/bin/env python3
"""Builds the directory bundle of data/reference/ from the shared reference data.

Usage: python3 data/reference/tools/build.py SHARED_REFERENCE_DATA_DIR

Inputs (see ../SOURCES.md): be/municipalities.csv, be/police_zones.csv,
be/municipalities.geojson (rebuilt 2026-11-30: OSM national border, ODbL),
be/police_zone_contacts.csv, lu/communes.csv, lu/communes.geojson,
fr/communes_sample.csv, fr/communes_sample.geojson, fr/competence.csv,
es-ct/municipalities.csv, es-ct/police_regions.csv, es-ct/municipalities.geojson,
es-ct/abp.geojson.

Outputs, in the generic directory format read by `ecommissariat directory import`:
municipalities.csv, former_names.csv, units.csv, contacts.csv, coverage.csv and
shapes/{be,lu,fr,es-ct}.geojson. Facts only; nothing is invented: zones keep the official
number only where the source established it, contact values keep their date and source,
and LU communes are routed to the national e-commissariat team, which directs online
filings in Luxembourg.
"""
import csv
import json
import re
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent

# The German-speaking municipalities (their official language is German).
BE_GERMAN = {"63001", "63012", "63013", "63023", "63040", "63048", "63061", "63067", "63087"}
REGION_LANGUAGES = {"BE-VLG": "nl", "BE-WAL": "fr", "BE-BRU": "fr nl"}

# Established English exonyms (Wikidata English labels); every other language a
# municipality has no name in gets its official name in its own language.
EXONYMS_EN = {
    "BE-21004": "Brussels",
    "BE-11002": "Antwerp",
    "BE-44021": "Ghent",
    "BE-31005": "Bruges",
    "BE-35013": "Ostend",
}

# The Flemish and Walloon municipal mergers in force on 2025-01-01 (Statbel REFNIS 2025:
# the new codes replace those of the merged municipalities): former name -> NIS 2025.
MERGERS_2025 = {
    "23106": ["Galmaarden", "Gooik", "Herne"],
    "44086": ["Nazareth", "De Pinte"],
    "44088": ["Merelbeke", "Melle"],
    "46030": ["Beveren", "Kruibeke", "Zwijndrecht"],
    "71071": ["Tessenderlo", "Ham"],
    "73110": ["Bilzen", "Hoeselt"],
    "73111": ["Tongeren", "Borgloon"],
    "44087": ["Wachtebeke"],
    "46029": ["Moerbeke"],
    "37021": ["Ruiselede"],
    "37022": ["Meulebeke"],
    "71072": ["Kortessem"],
    "11002": ["Borsbeek"],
    "82039": ["Bertogne"],
}


def slug(text):
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def write_csv(name, header, rows):
    with open(OUT / name, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_shapes(dst, features):
    with open(dst, "w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "features": features}, f, separators=(",", ":"))


def features(src, key, prefix, skip=()):
    data = json.load(open(src, encoding="utf-8"))
    out = []
    for feature in data["features"]:
        code = feature["properties"][key]
        if code in skip:
            continue
        out.append({"type": "Feature", "properties": {"id": f"{prefix}-{code}"}, "geometry": feature["geometry"]})
    return out


MUNICIPALITY_HEADER = ["id", "country", "code", "name_fr", "name_nl", "name_de", "name_en", "name_es",
                       "name_ca", "languages", "part_of", "postal_codes"]
UNIT_HEADER = ["id", "kind", "official_number", "country", "name_fr", "name_nl", "name_de", "name_en",
               "name_es", "name_ca", "address", "phone", "email", "web", "timezone", "hours", "exceptions",
               "valid_from", "valid_until", "institution", "confidence"]


def unit(id, kind, number, country, names, institution="", confidence="", hours="", timezone=""):
    row = dict.fromkeys(UNIT_HEADER, "")
    row.update(id=id, kind=kind, official_number=number, country=country, institution=institution,
               confidence=confidence, hours=hours, timezone=timezone)
    for lang, name in names.items():
        row[f"name_{lang}"] = name
    return [row[c] for c in UNIT_HEADER]


def main(shared):
    shared = Path(shared)
    municipalities, former, units, coverage, contacts = [], [], [], [], []

    # Belgium.
    be_names = {}
    for r in csv.DictReader(open(shared / "be/municipalities.csv", encoding="utf-8")):
        mid = f"BE-{r['nis_code']}"
        be_names[r["nis_code"]] = r["name_nl"] or r["name_fr"]
        languages = "de" if r["nis_code"] in BE_GERMAN else REGION_LANGUAGES[r["region"]]
        municipalities.append([mid, "BE", r["nis_code"], r["name_fr"], r["name_nl"], r["name_de"],
                               EXONYMS_EN.get(mid, ""), "", "", languages, "", r["postal_codes"]])
    for nis, names in MERGERS_2025.items():
        assert nis in be_names, nis
        for name in names:
            if name != be_names[nis]:
                former.append([name, f"BE-{nis}", "2025-01-01", "merged_municipality"])
    for r in csv.DictReader(open(shared / "be/police_zones.csv", encoding="utf-8")):
        units.append(unit(r["zone_key"], "local_police_zone", r["zone_number"], "BE",
                          {"fr": r["zone_name_fr"], "nl": r["zone_name_nl"]}, confidence=r["confidence"]))
        for nis in r["municipalities"].split():
            coverage.append([r["zone_key"], f"BE-{nis}", "", ""])
    for r in csv.DictReader(open(shared / "be/police_zone_contacts.csv", encoding="utf-8")):
        as_of = r["data_as_of"]
        source = r["source"]
        address = ""
        if r["street_address"]:
            address = f"{r['station_name']}, {r['street_address']}, {r['postal_code']} {r['city']}".lstrip(", ")
        for field, value, dated in [
            ("address", address, as_of),
            ("phone", r["phone"], as_of),
            ("email", r["email"], as_of),
            ("website", r["website_url"], as_of),
            ("reception_hours", r["opening_hours"], r["opening_hours_as_of"] or as_of),
        ]:
            if value:
                contacts.append([r["zone_key"], field, value, dated, source])

    # Luxembourg: "un e-commissariat dirigera les demandes et dépôts de plaintes" (police,
    # 2018): one team directs every online filing, whatever the commune.
    lu_ids = []
    for r in csv.DictReader(open(shared / "lu/communes.csv", encoding="utf-8")):
        code = slug(r["commune"])
        lu_ids.append(f"LU-{code}")
        municipalities.append([f"LU-{code}", "LU", code, r["commune"], "", "", "", "", "", "fr", "",
                               r["postal_codes"]])
        for locality in r["postal_localities_matched"].split(";"):
            locality = locality.strip()
            if locality and locality != r["commune"]:
                former.append([locality, f"LU-{code}", "", "postal_locality"])
    units.append(unit("lu-e-commissariat", "e_commissariat_team", "", "LU",
                      {"fr": "e-commissariat de la Police grand-ducale", "de": "e-Kommissariat der Großherzoglichen Polizei",
                       "en": "e-commissariat of the Grand Ducal Police"}, confidence="seed-2018"))
    contacts.append(["lu-e-commissariat", "website", "https://police.public.lu", "2018", "police.public.lu"])
    contacts.append(["lu-e-commissariat", "phone", "113", "2018", "police.public.lu (emergencies)"])
    for lu in lu_ids:
        coverage.append(["lu-e-commissariat", lu, "", ""])
    # The one Luxembourg commissariat whose communes a source gives (police.public.lu, 2026-01).
    units.append(unit("lu-commissariat-museldall", "commissariat", "", "LU",
                      {"fr": "Commissariat Museldall (Région Centre-Est)", "de": "Kommissariat Museldall (Region Zentrum-Ost)",
                       "en": "Museldall police station (Centre-East region)"}, confidence="police.public.lu-2026-01"))
    contacts.append(["lu-commissariat-museldall", "website", "https://police.public.lu", "2026-01", "police.public.lu"])

    # France: the sample communes, the national teams, and Val-d'Oise's competent units.
    for r in csv.DictReader(open(shared / "fr/communes_sample.csv", encoding="utf-8")):
        municipalities.append([f"FR-{r['insee_code']}", "FR", r["insee_code"], r["nom"], "", "", "", "", "", "fr",
                               "", r["postal_codes"]])
    units.append(unit("fr-ofac-thesee", "national_unit", "", "FR",
                      {"fr": "Office anti-cybercriminalité – plateforme THESEE", "en": "French anti-cybercrime office – THESEE platform"},
                      institution="police_nationale", confidence="seed-2023", timezone="Europe/Paris"))
    units.append(unit("fr-chat-team", "national_unit", "", "FR",
                      {"fr": "Équipe de la messagerie Ma Sécurité", "en": "Ma Sécurité chat team"},
                      institution="police_nationale", confidence="seed-2021", timezone="Europe/Paris", hours="24/7"))
    seen = set()
    for r in csv.DictReader(open(shared / "fr/competence.csv", encoding="utf-8")):
        pn = r["force"] == "PN"
        uid = f"fr-{'pn' if pn else 'gn'}-{slug(r['unit_name'])}"
        if uid not in seen:
            seen.add(uid)
            units.append(unit(uid, "commissariat" if pn else "gendarmerie_brigade", r["unit_code"], "FR",
                              {"fr": r["unit_name"]},
                              institution="police_nationale" if pn else "gendarmerie_nationale",
                              confidence="interior-ministry-2026-08"))
            source = f"Interior ministry territorial competence via {r['source']}"
            for field, value in [("address", r["unit_address"]), ("phone", r["unit_phone"]),
                                 ("reception_hours", r["unit_opening_hours_osm"])]:
                if value:
                    contacts.append([uid, field, value, "2026-08", source])
        coverage.append([uid, f"FR-{r['insee_code']}", "", ""])

    # Catalonia: municipalities, the 59 Àrees Bàsiques Policials of the Mossos d'Esquadra,
    # and Barcelona's 10 district ABPs as parts of the city.
    abps = {}
    for r in csv.DictReader(open(shared / "es-ct/police_regions.csv", encoding="utf-8")):
        if r["level"] != "ABP":
            continue
        abps[r["code"]] = r
        uid = f"es-ct-abp-{r['code']}"
        units.append(unit(uid, "basic_police_area", r["code"], "ES-CT",
                          {"ca": f"{r['name']} ({r['rp_name']})"},
                          institution="mossos_d_esquadra", confidence="icgc-2019"))
        if r["stations_2018"]:
            contacts.append([uid, "address", r["stations_2018"], "2018",
                             "OpenICGC/mapa-delinquencial@ba0796a9:data/comissaries.geojson"])
    district_abps = []
    for r in csv.DictReader(open(shared / "es-ct/municipalities.csv", encoding="utf-8")):
        mid = f"ES-CT-{r['ine_code']}"
        municipalities.append([mid, "ES-CT", r["ine_code"], "", "", "", "", "", r["name_ca"], "ca", "",
                               r["postal_codes"]])
        codes = r["abp_code"].split()
        if len(codes) == 1:
            coverage.append([f"es-ct-abp-{codes[0]}", mid, "", ""])
        else:
            for code in codes:
                district = abps[code]["name"].removeprefix("ABP ")
                part = f"{r['ine_code']}-{code}"
                district_abps.append(code)
                municipalities.append([f"ES-CT-{part}", "ES-CT", part, "", "", "", "", "",
                                       f"{r['name_ca']} – {district}", "ca", mid, ""])
                coverage.append([f"es-ct-abp-{code}", f"ES-CT-{part}", "", ""])
    split = {"08019"}
    es_shapes = features(shared / "es-ct/municipalities.geojson", "id", "ES-CT", skip=split)
    for feature in json.load(open(shared / "es-ct/abp.geojson", encoding="utf-8"))["features"]:
        code = feature["properties"]["abp_code"]
        if code in district_abps:
            es_shapes.append({"type": "Feature", "properties": {"id": f"ES-CT-08019-{code}"},
                              "geometry": feature["geometry"]})

    write_csv("municipalities.csv", MUNICIPALITY_HEADER, municipalities)
    write_csv("former_names.csv", ["name", "municipality_id", "since", "kind"], former)
    write_csv("units.csv", UNIT_HEADER, units)
    write_csv("contacts.csv", ["unit_id", "field", "value", "data_as_of", "source"], contacts)
    write_csv("coverage.csv", ["unit_id", "municipality_id", "valid_from", "valid_until"], coverage)
    write_shapes(OUT / "shapes/be.geojson", features(shared / "be/municipalities.geojson", "nis_code", "BE"))
    write_shapes(OUT / "shapes/lu.geojson", features(shared / "lu/communes.geojson", "code", "LU"))
    write_shapes(OUT / "shapes/fr.geojson", features(shared / "fr/communes_sample.geojson", "insee", "FR"))
    write_shapes(OUT / "shapes/es-ct.geojson", es_shapes)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/data")
