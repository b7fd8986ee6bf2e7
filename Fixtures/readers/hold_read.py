"""Another process reading the directory, as the ENT or an administrator's sqlite3 shell does: opens the database,
starts a read transaction (BEGIN; SELECT ...), prints "ready", and holds the snapshot for SECONDS.
Usage: hold_read.py DATABASE SECONDS"""
import sqlite3
import sys
import time

connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN")
connection.execute("SELECT count(*) FROM persons").fetchone()
print("ready", flush=True)
time.sleep(float(sys.argv[2]))
