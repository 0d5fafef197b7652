from typing import Any

class Worker:
    log: Any
    cfg: Any
    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None: ...
