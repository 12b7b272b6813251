# 原文「最佳实践 / 安全考量」：用 ssl 模块给 TCP 服务器加上 TLS。
# 原文这段代码只有骨架（# 处理连接）；这里按「简单的 TCP 服务器」补全了收发。
import socket
import ssl
import sys

# 与原文不同：地址可以从命令行给出，默认仍是 ('localhost', 9999)。
server_address = (sys.argv[1], int(sys.argv[2])) if len(sys.argv) > 2 else ('localhost', 9999)
# 与原文不同：证书和私钥的路径可以从命令行给出，默认仍是原文的 server.crt 和 server.key。
certfile = sys.argv[3] if len(sys.argv) > 3 else 'server.crt'
keyfile = sys.argv[4] if len(sys.argv) > 4 else 'server.key'

# 与原文不同：ssl.PROTOCOL_TLSv1_2 自 Python 3.6 起已弃用（3.10 起用它会发出 DeprecationWarning），
# 而且只允许 TLS 1.2；PROTOCOL_TLS_SERVER 会和客户端协商双方都支持的最高版本（TLS 1.3 或 1.2）。
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(certfile=certfile, keyfile=keyfile)

server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server_socket.bind(server_address)
server_socket.listen(5)

ssl_socket = context.wrap_socket(server_socket, server_side=True)
# 与原文不同：打印实际绑定的地址，端口为 0 时才知道系统挑了哪个。
print('等待客户端连接...', '%s:%d' % ssl_socket.getsockname()[:2], flush=True)

while True:
    # 与原文不同：握手在 accept() 里进行，对方不是 TLS 客户端或不信任本服务器的证书时，
    # accept() 会抛出异常；原文没有处理，一个这样的客户端就会让整个服务器退出。
    try:
        connection, client_address = ssl_socket.accept()
    except (ssl.SSLError, OSError) as e:
        print(f'TLS 握手失败: {e}', file=sys.stderr, flush=True)
        continue
    # 与原文不同：原文这里只有「# 处理连接」，下面按「简单的 TCP 服务器」补全。
    try:
        data = connection.recv(1024)
        if data:
            print(f'收到来自 {client_address} 的数据: {data.decode()}', flush=True)
            # 与原文不同：b'数据已收到' 是 SyntaxError（bytes 字面量里只能有 ASCII 字符）。
            connection.sendall('数据已收到'.encode())
    finally:
        # 和原文一样直接关闭：不发送 TLS 的 close_notify（没有调用 unwrap()）。
        connection.close()
