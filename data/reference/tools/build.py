#!/usr/bin/env python3
"""Builds the directory bundle of data/reference/ from the shared reference data.

Usage: python3 data/reference/tools/build.py SHARED_REFERENCE_DATA_DIR

Inputs (see ../SOURCES.md): be/municipalities.csv, be/police_zones.csv,
be/municipalities.geojson, lu/communes.csv, fr/communes_sample.csv,
fr/communes_sample.geojson. Outputs, in the generic directory format read by
`ecommissariat directory import`: municipalities.csv, units.csv, coverage.csv,
shapes/be.geojson, shapes/fr.geojson. Facts only; nothing is invented: zones keep the
official number only where the source established it, and LU communes are routed to the
national e-commissariat team, which directs online filings in Luxembourg.
"""
import csv
import json
import re
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent


def slug(text):
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def write_csv(name, header, rows):
    with open(OUT / name, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def shapes(src, dst, key, prefix):
    data = json.load(open(src, encoding="utf-8"))
    features = []
    for feature in data["features"]:
        features.append({
            "type": "Feature",
            "properties": {"id": f"{prefix}-{feature['properties'][key]}"},
            "geometry": feature["geometry"],
        })
    with open(dst, "w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "features": features}, f, separators=(",", ":"))


def main(shared):
    shared = Path(shared)
    municipalities = []
    for r in csv.DictReader(open(shared / "be/municipalities.csv", encoding="utf-8")):
        municipalities.append([f"BE-{r['nis_code']}", "BE", r["nis_code"], r["name_fr"], r["name_nl"],
                               r["name_de"], "", r["postal_codes"]])
    lu_ids = []
    for r in csv.DictReader(open(shared / "lu/communes.csv", encoding="utf-8")):
        code = slug(r["commune"])
        lu_ids.append(f"LU-{code}")
        municipalities.append([f"LU-{code}", "LU", code, r["commune"], "", "", "", r["postal_codes"]])
    for r in csv.DictReader(open(shared / "fr/communes_sample.csv", encoding="utf-8")):
        municipalities.append([f"FR-{r['insee_code']}", "FR", r["insee_code"], r["nom"], "", "", "",
                               r["postal_codes"]])
    write_csv("municipalities.csv",
              ["id", "country", "code", "name_fr", "name_nl", "name_de", "name_en", "postal_codes"],
              municipalities)

    units, coverage = [], []
    for r in csv.DictReader(open(shared / "be/police_zones.csv", encoding="utf-8")):
        units.append([r["zone_key"], "local_police_zone", r["zone_number"], "BE", r["zone_name_fr"],
                      r["zone_name_nl"], "", "", "", "", "", "", "", "", "", "", "", "", r["confidence"]])
        for nis in r["municipalities"].split():
            coverage.append([r["zone_key"], f"BE-{nis}", "", ""])
    # Luxembourg: "un e-commissariat dirigera les demandes et dépôts de plaintes" (police,
    # 2018): one team directs every online filing, whatever the commune.
    units.append(["lu-e-commissariat", "e_commissariat_team", "", "LU", "e-commissariat de la Police grand-ducale",
                  "", "e-Kommissariat der Großherzoglichen Polizei", "e-commissariat of the Grand Ducal Police",
                  "", "113 (emergencies)", "", "https://police.public.lu", "", "", "", "", "", "", "seed-2018"])
    for lu in lu_ids:
        coverage.append(["lu-e-commissariat", lu, "", ""])
    # The one Luxembourg commissariat whose communes a source gives (police.public.lu, 2026-01).
    units.append(["lu-commissariat-museldall", "commissariat", "", "LU", "Commissariat Museldall (Région Centre-Est)",
                  "", "Kommissariat Museldall (Region Zentrum-Ost)", "Museldall police station (Centre-East region)",
                  "", "", "", "https://police.public.lu", "", "", "", "", "", "", "police.public.lu-2026-01"])
    # France: the national teams of the procedures with national competence.
    units.append(["fr-ofac-thesee", "national_unit", "", "FR",
                  "Office anti-cybercriminalité – plateforme THESEE", "", "", "French anti-cybercrime office – THESEE platform",
                  "", "", "", "", "Europe/Paris", "", "", "", "", "police_nationale", "seed-2023"])
    units.append(["fr-chat-team", "national_unit", "", "FR",
                  "Équipe de la messagerie Ma Sécurité", "", "", "Ma Sécurité chat team",
                  "", "", "", "", "Europe/Paris", "24/7", "", "", "", "police_nationale", "seed-2021"])
    write_csv("units.csv",
              ["id", "kind", "official_number", "country", "name_fr", "name_nl", "name_de", "name_en",
               "address", "phone", "email", "web", "timezone", "hours", "exceptions", "valid_from",
               "valid_until", "institution", "confidence"],
              units)
    write_csv("coverage.csv", ["unit_id", "municipality_id", "valid_from", "valid_until"], coverage)
    shapes(shared / "be/municipalities.geojson", OUT / "shapes/be.geojson", "nis_code", "BE")
    shapes(shared / "fr/communes_sample.geojson", OUT / "shapes/fr.geojson", "insee", "FR")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference/data")
