"""The naive validation baseline for `npm run bench`: read the roster CSV, list the DIDs with data
on the day (one query), and join the two. What a study's analyst would write in a few lines;
mail-updater's validate-participants does this and every roster rule, and is measured against it
in the same run. Usage: python-validate.py ROSTER.csv COMPLIANCE.db YYYY-MM-DD"""
import csv
import json
import sqlite3
import sys

roster_path, db_path, day = sys.argv[1:4]
with open(roster_path, newline="", encoding="utf-8-sig") as f:
    rows = list(csv.DictReader(f))
db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
with_data = {did for (did,) in db.execute("SELECT did FROM daily_compliance WHERE day = ?", (day,))}
roster = {r["did"].strip() for r in rows}
active = [r for r in rows if (r.get("status") or "active").strip().lower() == "active"]
print(json.dumps({
    "roster_rows": len(rows),
    "eligible": sum(1 for r in active if r["did"].strip() in with_data),
    "no_data": sum(1 for r in active if r["did"].strip() not in with_data),
    "not_in_roster": len(with_data - roster),
}))
