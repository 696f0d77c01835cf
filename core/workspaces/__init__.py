"""A user's persistent workspaces under NEURALFACTORS_HOME: who the user is (identity.py), the metadata store
(store.py, SQLite), the content-keyed forecasts kept between refreshes (forecast_store.py) and the morning
refresh (refresh.py)."""
