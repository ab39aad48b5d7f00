import threading
import urllib.request

from phase6.preview import make_server
from phase6.storage.local import LocalBucket


def test_preview_serves_objects_with_recorded_headers_and_an_index(tmp_path):
    bucket = LocalBucket(tmp_path)
    bucket.write("v1/predictions/today.json", b'{"a": 1}\n', cache_control="public, max-age=300")
    bucket.write("v1/signals/2026-03-04.json", b"{}\n", cache_control="public, max-age=300")
    server = make_server(tmp_path, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with urllib.request.urlopen(f"{base}/v1/predictions/today.json") as response:
            assert response.headers["Cache-Control"] == "public, max-age=300"
            assert response.headers["Content-Type"] == "application/json"
            assert response.read() == b'{"a": 1}\n'
        with urllib.request.urlopen(f"{base}/") as response:
            page = response.read().decode()
        assert 'href="/v1/predictions/today.json"' in page and "signals" in page
        try:
            urllib.request.urlopen(f"{base}/v1/missing.json")
            raise AssertionError("a missing object must be a 404")
        except urllib.error.HTTPError as error:
            assert error.code == 404
    finally:
        server.shutdown()
        server.server_close()
