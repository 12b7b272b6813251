# 原文「UDP 通信示例 / UDP 客户端」。
import socket
import sys

# 与原文不同：原文写的 socket.SOCK_DUDP 不存在，应为 socket.SOCK_DGRAM。
client_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# 与原文不同：地址可以从命令行给出，默认仍是 ('localhost', 9999)。
server_address = (sys.argv[1], int(sys.argv[2])) if len(sys.argv) > 2 else ('localhost', 9999)

# 与原文不同：原文写 b'你好，UDP 服务器！'，但 bytes 字面量里只能有 ASCII 字符（SyntaxError）。
message = '你好，UDP 服务器！'.encode()
client_socket.sendto(message, server_address)
data, server = client_socket.recvfrom(1024)
print(f'收到 UDP 服务器的响应: {data.decode()}')

client_socket.close()
