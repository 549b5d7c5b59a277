"""A session against an HTTP server on localhost: JSON, cookies, a redirect, an error status, and the text
decoding that falls back on charset-normalizer when the server names no charset."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import certifi
import requests

TEXT = "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 4


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/login":
            self.reply(302, b"", [("Location", "/me"), ("Set-Cookie", "user=ann; Path=/")])
        elif self.path == "/me":
            self.reply(200, json.dumps({"cookie": self.headers.get("Cookie")}).encode(),
                       [("Content-Type", "application/json")])
        elif self.path == "/cp1251":
            self.reply(200, TEXT.encode("cp1251"), [("Content-Type", "application/octet-stream")])
        else:
            self.reply(404, b"no")

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_address[1]}"

with requests.Session() as s:
    r = s.get(base + "/login")
    assert r.status_code == 200 and r.json() == {"cookie": "user=ann"}, (r.status_code, r.text)
    assert [h.status_code for h in r.history] == [302]
    r = s.get(base + "/missing")
    try:
        r.raise_for_status()
    except requests.HTTPError as e:
        print("404:", e)
    else:
        raise SystemExit("404 did not raise")
    r = s.get(base + "/cp1251")
    assert r.encoding is None and r.apparent_encoding == "windows-1251", r.apparent_encoding
    r.encoding = r.apparent_encoding
    assert r.text == TEXT
server.shutdown()

assert requests.utils.DEFAULT_CA_BUNDLE_PATH == certifi.where()
print("requests ok")
