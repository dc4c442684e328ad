"""The classroom server: what one app process shares between every browser.

`registry.RunRegistry` holds the server's training jobs and the cap on them; `classroom`
says who may do what (teacher, students); `live_feed` writes each watched run's state as
small static files for watchers' browsers; `shutdown` saves what is still training when the
server stops. This layer uses training and the library and never imports Streamlit: the
app's `ui/` package is the only way pages reach it.
"""
