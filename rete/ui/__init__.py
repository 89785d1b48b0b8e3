"""The only part of `rete/` that imports Streamlit.

- `frame`: the database the app runs on, who is logged in, the login page, banners, errors;
- `sidebar`: the Cruscotto's filters in the sidebar, mirrored in the URL;
- `dashboard`: cached queries, KPI tiles, charts with their data as CSV.
"""
