"""Tags on a REST API itself (arn:aws:apigateway:REGION::/restapis/ID): AWS takes them with
TagResource, as baken does when it adopts a REST API a CloudFormation stack made. moto 5.2.5 tags
only stages and answers 404 for an API; here TagResource, UntagResource and GetTags on an API's
ARN act on the tags moto already keeps for it (CreateRestApi's, which GetRestApis returns).
Also: a REST API CloudFormation makes keeps its endpoint configuration, and a method PutRestApi
makes has the authorization type NONE (below).
"""
from urllib.parse import unquote

from moto.apigateway import models, responses, urls
from moto.utilities.utils import merge_multiple_dicts

API_ARN = "{0}/tags/arn:(?P<partition>[^/]+):apigateway:(?P<region_name>[^/]+)::/restapis/(?P<function_id>[^/]+)$"
urls.url_paths[API_ARN] = responses.APIGatewayResponse.dispatch


def _api_of(self):
    parts = unquote(self.path.split("/tags/")[1]).split("/")
    if len(parts) == 3 and parts[1] == "restapis":
        return self.backend.get_rest_api(parts[2])
    return None


def _wrap(name, on_api):
    original = getattr(responses.APIGatewayResponse, name)

    def handler(self):
        api = _api_of(self)
        return original(self) if api is None else on_api(self, api)

    setattr(responses.APIGatewayResponse, name, handler)


def _tag(self, api):
    tags = self._get_param("tags") or {}
    api.tags = merge_multiple_dicts(api.tags or {}, tags)
    return "{}"


def _untag(self, api):
    for key in self.querystring.get("tagKeys") or []:
        (api.tags or {}).pop(key, None)
    return "{}"


def _get(self, api):
    import json

    return json.dumps({"tags": api.tags or {}})


_wrap("tag_resource", _tag)
_wrap("untag_resource", _untag)
_wrap("get_tags", _get)


# A REST API made by CloudFormation: AWS keeps its EndpointConfiguration (the CDK app's is EDGE).
# moto stores the template's `Types` key as it is, so the API reads back with no endpoint type.

_create_from_cfn = models.RestAPI.create_from_cloudformation_json.__func__


def _create_rest_api_from_cfn(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    config = cloudformation_json.get("Properties", {}).get("EndpointConfiguration")
    if isinstance(config, dict) and "Types" in config:
        cloudformation_json = dict(cloudformation_json)
        props = dict(cloudformation_json["Properties"])
        props["EndpointConfiguration"] = {"types": config["Types"]}
        cloudformation_json["Properties"] = props
    return _create_from_cfn(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)


models.RestAPI.create_from_cloudformation_json = classmethod(_create_rest_api_from_cfn)


# PutRestApi: AWS gives a method the OpenAPI definition names no `security` for the
# authorization type NONE (what PutMethod with authorizationType NONE gives). moto 5.2.5 stores
# none at all, so the method reads back without one. And a MOCK integration has no uri or
# httpMethod, which AWS accepts (PutIntegration too); moto's import drops the missing keys and
# then calls put_integration without them, a TypeError (an HTTP 500).

_put_integration = models.APIGatewayBackend.put_integration


def _put_integration_optional(self, function_id, resource_id, method_type, integration_type,
                              uri=None, integration_method=None, **rest):
    return _put_integration(self, function_id, resource_id, method_type, integration_type, uri,
                            integration_method, **rest)


models.APIGatewayBackend.put_integration = _put_integration_optional

_put_rest_api = models.APIGatewayBackend.put_rest_api


def _put_rest_api_open(self, function_id, api_doc, fail_on_warnings, mode="merge"):
    api = _put_rest_api(self, function_id, api_doc, fail_on_warnings, mode)
    for resource in api.resources.values():
        for method in resource.resource_methods.values():
            if method.authorization_type is None:
                method.authorization_type = "NONE"
    return api


models.APIGatewayBackend.put_rest_api = _put_rest_api_open


# AWS::ApiGateway::Method from CloudFormation: AWS takes an Integration without IntegrationHttpMethod
# or Uri where its Type is MOCK ("Required: Conditional", AWS::ApiGateway::Method Integration in
# the CloudFormation User Guide), as the CDK app's CORS preflight (OPTIONS) methods have, and makes
# the method's MethodResponses and the integration's RequestTemplates and IntegrationResponses.
# moto 5.2.5 reads Integration.IntegrationHttpMethod and Uri unconditionally (a KeyError, an HTTP
# 500 that fails the stack) and drops the rest.


def _method_from_cfn(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    props = cloudformation_json["Properties"]
    api, resource, verb = props["RestApiId"], props["ResourceId"], props["HttpMethod"]
    backend = models.apigateway_backends[account_id][region_name]
    method = backend.put_method(
        function_id=api,
        resource_id=resource,
        method_type=verb,
        authorization_type=props.get("AuthorizationType", "NONE"),
        api_key_required=props.get("ApiKeyRequired"),
    )
    for r in props.get("MethodResponses") or []:
        backend.put_method_response(api, resource, verb, r["StatusCode"],
                                    r.get("ResponseModels"), r.get("ResponseParameters"))
    integration = props.get("Integration")
    if integration:
        backend.put_integration(
            function_id=api,
            resource_id=resource,
            method_type=verb,
            integration_type=integration["Type"],
            uri=integration.get("Uri"),
            integration_method=integration.get("IntegrationHttpMethod"),
            request_templates=integration.get("RequestTemplates"),
        )
        for r in integration.get("IntegrationResponses") or []:
            backend.put_integration_response(api, resource, verb, r["StatusCode"],
                                             r.get("SelectionPattern"), r.get("ResponseTemplates"),
                                             r.get("ResponseParameters"))
    return method


models.Method.create_from_cloudformation_json = classmethod(_method_from_cfn)
