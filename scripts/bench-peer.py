#!/usr/bin/env python3
"""The Python peer of `scripts/bench.sh` (issue 24): a straightforward importer of one AAF ENT1D delivery, the way a
careful sysadmin would write it in an afternoon — ElementTree's iterparse (elements cleared as they end), the same
Annexe 3 allow-list as aafd (R1), one row per record with its kept attributes as JSON, one transaction. No
departures, links, feed or journal: it does less than aafd, so the ratio flatters it.

Usage: bench-peer.py DATABASE FILE.xml...
"""
import json
import sqlite3
import sys
import xml.etree.ElementTree as ET

ANNEX3 = {
    "Eleve": {
        "ENTPersonJointure", "ENTPersonDateNaissance", "ENTPersonNomPatro", "ENTPersonNom", "ENTPersonPrenom",
        "ENTPersonAutresPrenoms", "ENTPersonCivilite", "ENTPersonStructRattach", "ENTEleveAutoriteParentale",
        "ENTEleveRestaurantScolaire", "ENTEleveTransport", "ENTEleveGarderieMatin", "ENTEleveGarderieSoir",
        "ENTEleveEtudesSurveillees", "ENTEleveNiveau", "ENTEleveCycle", "ENTEleveTypeClasse", "ENTPersonClasses",
        "ENTPersonGroupes",
    },
    "EtabEducNat": {
        "ENTStructureJointure", "ENTStructureUAI", "ENTStructureSIREN", "ENTStructureNomCourant",
        "ENTStructureTypeStruct", "ENTEcoleMinistereTutelle", "ENTEcoleSecteur", "ENTEcoleCirconscription",
        "ENTEcoleCommune", "ENTEcoleRPI", "ENTServAcAcademie", "ENTStructureAdresse", "ENTStructureBoitePostale",
        "ENTStructureCodePostal", "ENTStructureVille", "ENTStructureTelephone", "ENTStructureFax",
        "ENTStructureEmail",
    },
    "PersEducNat": {
        "ENTPersonJointure", "ENTPersonDateNaissance", "ENTPersonNomPatro", "ENTPersonNom", "ENTPersonPrenom",
        "ENTPersonAutresPrenoms", "ENTPersonCivilite", "ENTPersonMail", "ENTPersonStructRattach",
        "ENTPersonFonctions", "ENTEnsFonctionDir", "ENTEnsSpecialites",
    },
    "PersRelEleve": {
        "ENTPersonJointure", "ENTPersonNomPatro", "ENTPersonNom", "ENTPersonPrenom", "ENTPersonAutresPrenoms",
        "ENTPersonCivilite", "ENTPersonAdresse", "ENTPersonCodePostal", "ENTPersonVille", "ENTPersonPays",
        "ENTPersonTelPerso", "ENTPersRelEleveTelMobile", "ENTPersonMail", "ENTPersRelEleveTelPro",
    },
}


def main() -> None:
    db = sqlite3.connect(sys.argv[1])
    db.execute("PRAGMA journal_mode = WAL")
    db.execute(
        "CREATE TABLE IF NOT EXISTS records (category TEXT NOT NULL, jointure TEXT NOT NULL, attrs TEXT NOT NULL,"
        " UNIQUE (category, jointure))"
    )
    with db:
        for path in sys.argv[2:]:
            for _, element in ET.iterparse(path, events=("end",)):
                if element.tag not in ("addRequest", "modifyRequest"):
                    continue
                category = element.findtext("operationalAttributes/attr/value") or ""
                jointure = element.findtext("identifier/id") or ""
                allowed = ANNEX3.get(category, set())
                kept = {}
                for attr in element.iterfind("attributes/attr"):
                    name = attr.get("name")
                    if name in allowed:
                        values = [v.text for v in attr.iterfind("value") if v.text]
                        if values:
                            kept[name] = values
                db.execute(
                    "INSERT INTO records (category, jointure, attrs) VALUES (?, ?, ?)"
                    " ON CONFLICT (category, jointure) DO UPDATE SET attrs = excluded.attrs",
                    (category, jointure, json.dumps(kept, ensure_ascii=False)),
                )
                element.clear()


if __name__ == "__main__":
    main()
