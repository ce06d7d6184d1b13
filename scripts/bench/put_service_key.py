"""Creates a stack's JRA-VAN service-key parameter on the emulator, as a jravan user does once
before deploying (deploy refuses without it): `python put_service_key.py ENDPOINT STACK`."""
import sys

import boto3

endpoint, stack = sys.argv[1], sys.argv[2]
boto3.client("ssm", region_name="ap-northeast-1", endpoint_url=endpoint).put_parameter(
    Name=f"/baken/{stack}/jravan-service-key", Type="SecureString", Value="bench", Overwrite=True)
