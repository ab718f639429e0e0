#!/usr/bin/python3
"""Copy an Optuna 3.1 SQLite storage into an empty PostgreSQL database, row for row (the
schema created by Optuna itself), so bench/ask_scale.sh measures both backends on the same
10,000-trial study without writing it through Optuna twice (that takes minutes).
Usage: ask_scale_copy_pg.py SQLITE_FILE POSTGRES_URL"""
import sqlite3, sys
import optuna
import psycopg2
import psycopg2.extras

src, url = sys.argv[1], sys.argv[2]
optuna.storages.RDBStorage(url)  # creates Optuna's schema (and its enum types) in the empty database
lite = sqlite3.connect(src)
pg = psycopg2.connect(url.replace("postgresql+psycopg2://", "postgresql://"))
cur = pg.cursor()
tables = ["studies", "study_directions", "study_user_attributes", "study_system_attributes", "trials",
          "trial_params", "trial_values", "trial_intermediate_values", "trial_user_attributes",
          "trial_system_attributes", "trial_heartbeats"]
for t in tables:
    cols = [r[1] for r in lite.execute(f'PRAGMA table_info("{t}")')]
    rows = lite.execute(f'SELECT {", ".join(chr(34) + c + chr(34) for c in cols)} FROM "{t}"').fetchall()
    if not rows:
        continue
    collist = ", ".join(f'"{c}"' for c in cols)
    psycopg2.extras.execute_values(cur, f'INSERT INTO "{t}" ({collist}) VALUES %s', rows, page_size=2000)
    pk = cols[0]
    cur.execute(f"SELECT setval(pg_get_serial_sequence('{t}', '{pk}'), (SELECT max(\"{pk}\") FROM \"{t}\"))")
pg.commit()
for t in tables:  # statistics, as autovacuum would have gathered on a study that grew to this size
    cur.execute(f'ANALYZE "{t}"')
pg.commit()
cur.execute("SELECT count(*) FROM trials")
print(cur.fetchone()[0])
