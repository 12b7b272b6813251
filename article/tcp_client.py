# 原文「常见实践 / TCP 客户端」。
import socket
import sys

client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# 与原文不同：地址可以从命令行给出，默认仍是 ('localhost', 9999)。
server_address = (sys.argv[1], int(sys.argv[2])) if len(sys.argv) > 2 else ('localhost', 9999)
client_socket.connect(server_address)

# 与原文不同：原文写 b'你好，服务器！'，但 bytes 字面量里只能有 ASCII 字符（SyntaxError）。
message = '你好，服务器！'.encode()
client_socket.sendall(message)
data = client_socket.recv(1024)
print(f'收到服务器的响应: {data.decode()}')

client_socket.close()
