"""CloudWatch's RPC v2 CBOR protocol: AWS answers CloudWatch at
`POST /service/GraniteServiceVersion20100801/operation/<Operation>` with CBOR bodies (the
`smithy-rpc-v2-cbor` protocol botocore's and the Rust SDK's CloudWatch models list first; the
Smithy "RPC v2 CBOR protocol" specification says how requests, responses and errors look). moto
5.2.5 answers CloudWatch in the query protocol only, so the Rust SDK's requests found no route.

Here each CBOR request is decoded with the operation's input shape (botocore's own CBOR parser),
re-encoded as the query request moto handles, and moto's XML answer is decoded with the output
shape and encoded back to CBOR (botocore's CBOR serializer); an error becomes the CBOR error
document (`__type`, `message`) with moto's status code. What moto does is unchanged.
"""
import urllib.parse

import botocore.session
from botocore.parsers import QueryParser, RpcV2CBORParser
from botocore.serialize import QuerySerializer, RpcV2CBORSerializer
from moto.cloudwatch import urls
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.request import Request
from werkzeug.test import EnvironBuilder

_MODEL = botocore.session.get_session().get_service_model("cloudwatch")
_CBOR_HEADERS = {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"}


def _text(major: int, value: str) -> bytes:
    data = value.encode()
    return _head(major, len(data)) + data


def _head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    if length < 256:
        return bytes([major << 5 | 24, length])
    return bytes([major << 5 | 25]) + length.to_bytes(2, "big")


def _error(status: int, code: str, message: str):
    body = _head(5, 2) + _text(3, "__type") + _text(3, f"com.amazonaws.cloudwatch#{code}")
    body += _text(3, "message") + _text(3, message)
    return status, dict(_CBOR_HEADERS), body


def _cbor_dispatch(request, full_url, headers):
    name = urllib.parse.urlparse(full_url).path.rsplit("/operation/", 1)[1]
    try:
        operation = _MODEL.operation_model(name)
    except Exception:
        return _error(400, "UnknownOperationException", f"no operation {name}")
    params = {}
    if operation.input_shape is not None and request.data:
        params = RpcV2CBORParser().parse(
            {"status_code": 200, "headers": {}, "body": request.data}, operation.input_shape
        )
        params.pop("ResponseMetadata", None)
    query = QuerySerializer().serialize_to_request(params, operation)
    form = urllib.parse.urlencode(query["body"])
    passed = {k: v for k, v in headers.items() if k.lower() not in ("content-type", "content-length")}
    passed["Content-Type"] = "application/x-www-form-urlencoded"
    root = full_url.split("/service/")[0] + "/"
    as_query = Request(
        EnvironBuilder(method="POST", base_url=root, data=form, headers=passed).get_environ()
    )
    status, answer_headers, body = CloudWatchResponse.dispatch(as_query, root, passed)
    body = body.encode() if isinstance(body, str) else body
    answer = {"status_code": status, "headers": answer_headers, "body": body}
    if status >= 300:
        error = QueryParser().parse(answer, operation.output_shape)["Error"]
        return _error(status, error.get("Code", str(status)), error.get("Message", ""))
    if operation.output_shape is None:
        return 200, dict(_CBOR_HEADERS), b""
    result = QueryParser().parse(answer, operation.output_shape)
    result.pop("ResponseMetadata", None)
    encoded = bytearray()
    RpcV2CBORSerializer()._serialize_data_item(encoded, result, operation.output_shape)
    return 200, dict(_CBOR_HEADERS), bytes(encoded)


urls.url_paths["{0}/service/(?P<service>[^/]+)/operation/(?P<operation>[^/]+)$"] = _cbor_dispatch
