"""The console: server-rendered pages for people (a cooperative on a phone, a reviewer at a desk, a buyer in a
browser), on the same services and selectors as the API. It owns no rule: a refusal reads the same on a page
and in the API, because both raise and show the same domain error (docs/console.md)."""
