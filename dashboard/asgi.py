"""The dashboard as Streamlit serves it: app.py run as an st.App, with the two pieces of HTTP the pages cannot do
themselves, both for a sign-in server: `downloads.OwnerOnlyMedia` (a download reaches its owner only) and
`deep_links.KeepLinkThroughSignIn` (a link opened before signing in is where the sign-in returns). `neuralfactors
dashboard` runs `streamlit run` on this file; `streamlit run dashboard/app.py` still works, without them."""
import streamlit as st
from starlette.middleware import Middleware

from dashboard.deep_links import KeepLinkThroughSignIn
from dashboard.downloads import OwnerOnlyMedia

app = st.App("app.py", middleware=[Middleware(OwnerOnlyMedia), Middleware(KeepLinkThroughSignIn)])
