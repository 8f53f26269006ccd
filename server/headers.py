"""The security headers every answer carries, in one place: the application sends them, and the
front (nginx) adds them to the answers it writes itself (a request it cannot read, a body too
large), where the application's are absent."""

# Any origin may read an answer (the data is public); no browser guesses a type other than the one
# sent; no other site frames the pages (the review pages embed their own diagrams, as <object>s);
# pages run only this site's own scripts and objects (no inline script, no <base>), and reach only
# this site.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
                           "object-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'")
SECURITY_HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "SAMEORIGIN"),
                    ("Content-Security-Policy", CONTENT_SECURITY_POLICY))
COMMON_HEADERS = (("Access-Control-Allow-Origin", "*"), *SECURITY_HEADERS)
