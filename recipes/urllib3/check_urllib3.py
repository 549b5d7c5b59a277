"""Requests against an HTTP server on localhost: pooling, a redirect, a POST body, retries on a closed port."""
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import urllib3


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/old":
            self.send_response(302)
            self.send_header("Location", "/new")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        data = self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps({"echo": data.decode()}).encode()
        self.send_response(201)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_address[1]}"

http = urllib3.PoolManager()
r = http.request("GET", base + "/old")
assert r.status == 200 and r.json() == {"path": "/new"}, (r.status, r.data)
r = http.request("POST", base + "/post", body=b"hello")
assert r.status == 201 and r.json() == {"echo": "hello"}, (r.status, r.data)
pool = http.connection_from_url(base)
assert pool.num_connections == 1, pool.num_connections

s = socket.socket()
s.bind(("127.0.0.1", 0))
closed = s.getsockname()[1]
s.close()
try:
    http.request("GET", f"http://127.0.0.1:{closed}/", retries=urllib3.Retry(connect=1, backoff_factor=0))
except urllib3.exceptions.MaxRetryError as e:
    print("closed port:", type(e.reason).__name__)
else:
    raise SystemExit("a request to a closed port succeeded")
server.shutdown()
print("urllib3 ok")
