"""A small server speaking the part of anaconda.org's API that anaconda-client and rattler-build use to upload
(tests/upload.rs starts it on 127.0.0.1).

Endpoints, each needing `Authorization: token TOKEN` (401 otherwise) except the storage POST:
  GET/DELETE /dist/OWNER/NAME/VERSION/SUBDIR/FILE   200 {"sha256", "md5", "size"} or 404
  GET/POST   /package/OWNER/NAME                    200 or 404 / create
  GET/POST   /release/OWNER/NAME/VERSION            200 or 404 / create (the package must exist)
  POST       /stage/OWNER/NAME/VERSION/SUBDIR/FILE  {"post_url", "form_data", "dist_id"}; 409 when the file exists;
                                                    400 without the release or a sha256
  POST       /storage                               multipart: the staged form fields, Content-Length, Content-MD5
                                                    (base64 md5) and the file; checks the MD5, the length and the
                                                    sha256 given at staging; 201
  POST       /commit/OWNER/NAME/VERSION/SUBDIR/FILE {"dist_id"}; the file must have been stored and checked
Every request is appended to --log as a JSON line {"method", "path", "status"} (plus "checked" for the storage
POST). --fail-stage N answers the first N stage requests with 500. The port is written to --port-file.
"""

import argparse
import base64
import email.parser
import email.policy
import hashlib
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"packages": set(), "releases": set(), "dists": {}, "staged": {}, "stage_failures": 0}
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body=None, extra=None):
        data = json.dumps(body if body is not None else {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        entry = {"method": self.command, "path": self.path, "status": status}
        entry.update(extra or {})
        with open(ARGS.log, "a") as log:
            log.write(json.dumps(entry) + "\n")

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length)

    def authorized(self):
        if self.headers.get("Authorization") != f"token {ARGS.token}":
            self.body()
            self.reply(401, {"error": "bad credentials"})
            return False
        return True

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    def route(self, method):
        parts = self.path.strip("/").split("/")
        kind, rest = parts[0], parts[1:]
        if kind == "storage" and method == "POST":
            return self.storage()
        if not self.authorized():
            return
        with LOCK:
            if kind == "dist" and len(rest) == 5:
                key = tuple(rest)
                if method == "GET":
                    found = STATE["dists"].get(key)
                    return self.reply(200, found) if found else self.reply(404, {"error": "no such file"})
                if method == "DELETE" and key in STATE["dists"]:
                    del STATE["dists"][key]
                    return self.reply(200, {})
            if kind == "package" and len(rest) == 2:
                key = tuple(rest)
                if method == "GET":
                    return self.reply(200 if key in STATE["packages"] else 404, {})
                payload = json.loads(self.body())
                if "conda" not in payload.get("package_types", []):
                    return self.reply(400, {"error": "package_types must include conda"})
                STATE["packages"].add(key)
                return self.reply(200, {"name": rest[1]})
            if kind == "release" and len(rest) == 3:
                key = tuple(rest)
                if method == "GET":
                    return self.reply(200 if key in STATE["releases"] else 404, {})
                json.loads(self.body())
                if tuple(rest[:2]) not in STATE["packages"]:
                    return self.reply(400, {"error": "no such package"})
                STATE["releases"].add(key)
                return self.reply(200, {"version": rest[2]})
            if kind == "stage" and len(rest) == 5 and method == "POST":
                payload = json.loads(self.body())
                if STATE["stage_failures"] < ARGS.fail_stage:
                    STATE["stage_failures"] += 1
                    return self.reply(500, {"error": "try again"})
                if tuple(rest[:3]) not in STATE["releases"]:
                    return self.reply(400, {"error": "no such release"})
                if tuple(rest) in STATE["dists"]:
                    return self.reply(409, {"error": "file exists"})
                attrs = payload.get("attrs", {})
                if payload.get("distribution_type") != "conda" or attrs.get("subdir") != rest[3]:
                    return self.reply(400, {"error": "bad distribution_type or attrs"})
                dist_id = uuid.uuid4().hex
                key = f"{rest[0]}/{rest[1]}/{rest[2]}/{rest[3]}/{rest[4]}"
                STATE["staged"][dist_id] = {"dist": tuple(rest), "sha256": payload["sha256"], "stored": None}
                form = {"key": key, "policy": "cG9saWN5", "signature": dist_id[:8], "acl": "private"}
                port = self.server.server_address[1]
                return self.reply(200, {"post_url": f"http://127.0.0.1:{port}/storage", "form_data": form,
                                        "dist_id": dist_id})
            if kind == "commit" and len(rest) == 5 and method == "POST":
                payload = json.loads(self.body())
                staged = STATE["staged"].get(payload.get("dist_id"))
                if not staged or staged["dist"] != tuple(rest) or not staged["stored"]:
                    return self.reply(400, {"error": "nothing stored for this dist_id"})
                STATE["dists"][tuple(rest)] = staged["stored"]
                return self.reply(200, {"basename": f"{rest[3]}/{rest[4]}"})
        self.reply(404, {"error": f"no route {method} {self.path}"})

    def storage(self):
        raw = self.body()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + raw
        )
        fields, content, order = {}, None, []
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            order.append(name)
            if name == "file":
                content = part.get_payload(decode=True)
            else:
                fields[name] = part.get_content().strip()
        with LOCK:
            staged = next((s for d, s in STATE["staged"].items() if d.startswith(fields.get("signature", "-"))),
                          None)
            problems = []
            if staged is None:
                problems.append("unknown signature")
            if content is None or order[-1] != "file":
                problems.append("the file part must come last")
            else:
                md5 = hashlib.md5(content)
                if fields.get("Content-MD5") != base64.b64encode(md5.digest()).decode():
                    problems.append("Content-MD5 does not match the file")
                if fields.get("Content-Length") != str(len(content)):
                    problems.append("Content-Length does not match the file")
                sha256 = hashlib.sha256(content).hexdigest()
                if staged and sha256 != staged["sha256"]:
                    problems.append("sha256 differs from the staged one")
            if problems:
                return self.reply(400, {"error": "; ".join(problems)}, {"checked": problems})
            staged["stored"] = {"sha256": sha256, "md5": md5.hexdigest(), "size": len(content)}
            return self.reply(201, {}, {"checked": ["md5", "length", "sha256"], "key": fields.get("key")})


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--fail-stage", type=int, default=0)
    ARGS = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(ARGS.port_file + ".tmp", ARGS.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
