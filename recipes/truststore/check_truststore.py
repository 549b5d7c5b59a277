"""truststore's SSLContext verifies by default, replaces ssl.SSLContext while injected, and refuses a TLS server on
localhost whose self-signed certificate no trust store holds (the handshake runs, verification fails)."""
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

# A server that speaks TLS with a certificate nobody trusts: the client must refuse it.
listener = socket.create_server(("127.0.0.1", 0))
port = listener.getsockname()[1]


def serve():
    conn, _ = listener.accept()
    try:
        conn.recv(4096)  # the ClientHello
        conn.sendall(bytes.fromhex("15030300020228"))  # alert: handshake_failure
    finally:
        conn.close()


threading.Thread(target=serve, daemon=True).start()
with socket.create_connection(("127.0.0.1", port)) as sock:
    try:
        ctx.wrap_socket(sock, server_hostname="localhost")
    except ssl.SSLError as e:
        print("refused:", e)
    else:
        raise SystemExit("a handshake with a failing server succeeded")
print("truststore ok")
