# 原文「UDP 通信示例 / UDP 服务器」。
import socket
import sys

# 与原文不同：原文写的 socket.SOCK_DUDP 不存在，应为 socket.SOCK_DGRAM。
server_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# 与原文不同：地址可以从命令行给出，默认仍是 ('localhost', 9999)。
server_address = (sys.argv[1], int(sys.argv[2])) if len(sys.argv) > 2 else ('localhost', 9999)
server_socket.bind(server_address)
# 与原文不同：原文不打印；这里打印实际绑定的地址。
print('UDP 服务器等待数据...', '%s:%d' % server_socket.getsockname()[:2], flush=True)

while True:
    data, client_address = server_socket.recvfrom(1024)
    if data:
        print(f'收到来自 {client_address} 的 UDP 数据: {data.decode()}', flush=True)
        # 与原文不同：b'UDP 数据已收到' 是 SyntaxError（bytes 字面量里只能有 ASCII 字符）。
        server_socket.sendto('UDP 数据已收到'.encode(), client_address)
