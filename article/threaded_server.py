# 原文「最佳实践 / 并发处理」：每个连接一个线程。
import socket
import sys
import threading

def handle_connection(connection, client_address):
    try:
        data = connection.recv(1024)
        if data:
            print(f'收到来自 {client_address} 的数据: {data.decode()}', flush=True)
            # 与原文不同：b'数据已收到' 是 SyntaxError（bytes 字面量里只能有 ASCII 字符）。
            connection.sendall('数据已收到'.encode())
    finally:
        connection.close()

server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# 与原文不同：地址可以从命令行给出，默认仍是 ('localhost', 9999)。
server_address = (sys.argv[1], int(sys.argv[2])) if len(sys.argv) > 2 else ('localhost', 9999)
server_socket.bind(server_address)
server_socket.listen(5)
# 与原文不同：加上实际绑定的地址，端口为 0 时才知道系统挑了哪个。
print('等待客户端连接...', '%s:%d' % server_socket.getsockname()[:2], flush=True)

while True:
    connection, client_address = server_socket.accept()
    client_thread = threading.Thread(target=handle_connection, args=(connection, client_address))
    client_thread.start()
