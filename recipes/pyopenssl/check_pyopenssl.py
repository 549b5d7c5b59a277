"""Make a key and a self-signed certificate with pyOpenSSL, then run a TLS handshake and exchange data between two
OpenSSL.SSL.Connection objects over a socket pair; the client verifies the server against that certificate."""
import socket

from OpenSSL import SSL, crypto

key = crypto.PKey()
key.generate_key(crypto.TYPE_RSA, 2048)
cert = crypto.X509()
cert.get_subject().CN = "localhost"
cert.set_serial_number(1)
cert.gmtime_adj_notBefore(0)
cert.gmtime_adj_notAfter(3600)
cert.set_issuer(cert.get_subject())
cert.set_pubkey(key)
cert.sign(key, "sha256")
pem = crypto.dump_certificate(crypto.FILETYPE_PEM, cert)
assert crypto.load_certificate(crypto.FILETYPE_PEM, pem).get_subject().CN == "localhost"

server_ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
server_ctx.use_privatekey(key)
server_ctx.use_certificate(cert)
server_ctx.check_privatekey()

client_ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
client_ctx.set_verify(SSL.VERIFY_PEER, lambda conn, x509, errno, depth, ok: bool(ok))
client_ctx.get_cert_store().add_cert(cert)

a, b = socket.socketpair()
server = SSL.Connection(server_ctx, a)
server.set_accept_state()
client = SSL.Connection(client_ctx, b)
client.set_connect_state()
client.set_tlsext_host_name(b"localhost")
for sock in (a, b):
    sock.setblocking(False)

done = {"client": False, "server": False}
while not all(done.values()):
    for name, conn in (("client", client), ("server", server)):
        if done[name]:
            continue
        try:
            conn.do_handshake()
            done[name] = True
        except SSL.WantReadError:
            pass

client.sendall(b"ping")
while True:
    try:
        assert server.recv(100) == b"ping"
        break
    except SSL.WantReadError:
        pass
peer = client.get_peer_certificate()
assert peer.get_subject().CN == "localhost"
print(client.get_protocol_version_name(), client.get_cipher_name())
print("pyopenssl ok")
