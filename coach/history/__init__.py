"""The practice history: every ``coach play`` recorded in the user's own SQLite file.

``store`` owns the file and every SQL statement; ``exchange`` turns sessions into JSON or
CSV and back (``coach log --json/--csv/--import``); ``days`` decides which days count and
works out streaks; ``stats`` adds up the figures of ``coach stats``. Nothing here prints
or knows the command line.
"""
