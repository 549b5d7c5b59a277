"""truststore's SSLContext verifies by default and replaces ssl.SSLContext while injected. Against a TLS server on
localhost with a self-signed certificate (localhost-cert.pem, made once with `openssl req -x509 -newkey ec
-pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 -subj /CN=localhost -addext subjectAltName=DNS:localhost
-addext basicConstraints=critical,CA:TRUE`), verification fails until that certificate is loaded as a CA, then the
handshake and an HTTP exchange succeed."""
import socket
import ssl
import threading

import truststore

ctx = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname

truststore.inject_into_ssl()
assert ssl.SSLContext is truststore.SSLContext
truststore.extract_from_ssl()
assert ssl.SSLContext is not truststore.SSLContext

server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
server_ctx.load_cert_chain("localhost-cert.pem", "localhost-key.pem")
listener = socket.create_server(("127.0.0.1", 0))
port = listener.getsockname()[1]


def serve(connections):
    for _ in range(connections):
        conn, _ = listener.accept()
        try:
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(b"hello over tls " + tls.recv(100))
        except (ssl.SSLError, OSError):
            pass  # the client refused the certificate


threading.Thread(target=serve, args=(2,), daemon=True).start()


def fetch(context):
    with socket.create_connection(("127.0.0.1", port)) as sock:
        with context.wrap_socket(sock, server_hostname="localhost") as tls:
            tls.sendall(b"ping")
            return tls.recv(100)


try:
    fetch(ctx)
except ssl.SSLCertVerificationError as e:
    print("refused:", e)
else:
    raise SystemExit("a self-signed certificate was accepted")

trusting = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
trusting.load_verify_locations(cafile="localhost-cert.pem")
reply = fetch(trusting)
assert reply == b"hello over tls ping", reply
print("truststore ok")
