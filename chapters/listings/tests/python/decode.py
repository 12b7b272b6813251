# 1024 字节切在第 342 个“好”的中间时，decode() 怎样失败：python_vs_rust.rs 运行它。
# 用法：python3 decode.py
# ANCHOR: decode
data = ('好' * 400).encode()[:1024]   # 一次 recv(1024) 拿到的前 1024 个字节
try:
    print(data.decode())
except UnicodeDecodeError as e:
    print('UnicodeDecodeError:', e)
# 不想抛异常的话，要自己说 errors='replace'，坏字节变成 �：
print('最后三个字:', data.decode(errors='replace')[-3:])
# ANCHOR_END: decode
