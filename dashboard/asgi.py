"""The dashboard as Streamlit serves it: app.py run as an st.App, with the pieces of HTTP the pages cannot do
themselves: for a sign-in server `downloads.OwnerOnlyMedia` (a download reaches its owner only) and
`deep_links.KeepLinkThroughSignIn` (a link opened before signing in is where the sign-in returns); for every server
`early_charts.EarlyCharts` (the chart library loaded with the page, not after the first chart). `neuralfactors
dashboard` runs `streamlit run` on this file; `streamlit run dashboard/app.py` still works, without them."""
import streamlit as st
from starlette.middleware import Middleware

from dashboard.deep_links import KeepLinkThroughSignIn
from dashboard.downloads import OwnerOnlyMedia
from dashboard.early_charts import EarlyCharts

app = st.App("app.py", middleware=[Middleware(EarlyCharts), Middleware(OwnerOnlyMedia),
                                   Middleware(KeepLinkThroughSignIn)])
