"""The only part of `rete/` that imports Streamlit.

Its caches are process-wide and shared by every user, so every cached result is keyed on the
database URL and the data version, and none holds personal data.

- `database`: the database the app runs on, its data version, the cached taxonomy, today;
- `session`: who is logged in on this run (the `USER_KEY` seam) and the page guard;
- `login`: the login page, the redirect to the login routes, the first-start notice;
- `messages`: domain errors and a silent database as Italian messages on the page;
- `chrome`: the demo banner and the user box with logout;
- `sidebar`: the Cruscotto's filters in the sidebar, mirrored in the URL;
- `dashboard`: cached queries, KPI tiles, charts with their data as CSV.
"""
