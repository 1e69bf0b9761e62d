"""A loopback TCP proxy for fault injection: it forwards one port to another and can cut a
connection after a given number of bytes from the client (the upload direction), closing both
sides at once, as a pulled cable or a dropped Wi-Fi link does to an SSH session.
"""

import selectors
import socket
import threading

from deploy.loopback import free_port


class CuttingProxy:
    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = free_port()
        self.cut_at: int | None = None
        self.sent = 0  # bytes forwarded from the client in the current connection
        self.cuts = 0
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def __enter__(self) -> "CuttingProxy":
        return self

    def __exit__(self, *exc) -> None:
        self._stopped.set()
        self._listener.close()
        self._thread.join(timeout=5)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            self.sent = 0
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        selector.register(client, selectors.EVENT_READ, server)
        selector.register(server, selectors.EVENT_READ, client)
        try:
            while not self._stopped.is_set():
                for key, _ in selector.select(timeout=0.2):
                    data = key.fileobj.recv(1 << 16)
                    if not data:
                        return
                    if key.fileobj is client:
                        if self.cut_at is not None and self.sent + len(data) >= self.cut_at:
                            key.data.sendall(data[:self.cut_at - self.sent])
                            self.sent = self.cut_at
                            self.cuts += 1
                            return
                        self.sent += len(data)
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            selector.close()
            for end in (client, server):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                end.close()
