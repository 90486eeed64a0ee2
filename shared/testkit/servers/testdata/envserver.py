"""A server for the servers package's own tests.

Serves on the inherited listening socket --fd names and answers every GET
with its environment as JSON. --fail MESSAGE exits with MESSAGE instead of
serving; --import MODULE imports MODULE first.
"""

import argparse
import json
import os
import socket
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--fd", type=int, required=True)
parser.add_argument("--fail")
parser.add_argument("--import", dest="module")
args = parser.parse_args()
if args.module:
    __import__(args.module)
if args.fail:
    sys.exit(args.fail)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps(dict(os.environ)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
server.socket.close()
server.socket = socket.socket(fileno=args.fd)
host, port = server.socket.getsockname()[:2]
print(f"envserver: serving on {host}:{port}", flush=True)
server.serve_forever()
