"""The dashboard as Streamlit serves it: app.py run as an st.App, with the one piece of HTTP the pages cannot do
themselves, `downloads.OwnerOnlyMedia` (on a sign-in server, a download reaches its owner only). `neuralfactors
dashboard` runs `streamlit run` on this file; `streamlit run dashboard/app.py` still works, without that guard."""
import streamlit as st
from starlette.middleware import Middleware

from dashboard.downloads import OwnerOnlyMedia

app = st.App("app.py", middleware=[Middleware(OwnerOnlyMedia)])
