"""The moto server with what it lacks for this stack, seeded at start-up.

moto ships neither the Windows Server 2022 Japanese Full Base image nor the public Systems Manager
parameter that names the latest one. This loads the image from amis.json (MOTO_AMIS_PATH, read
when moto is imported) and answers the parameter with it. It also loads AWS managed IAM policies
(AmazonSSMManagedInstanceCore), which moto does only when asked. The patch_*.py modules beside it
make moto do what AWS does where `baken adopt` needs it (each says what and why).

Usage: python serve.py -H 127.0.0.1 -p PORT (the arguments of moto_server).
"""
import json
import os
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
os.environ["MOTO_AMIS_PATH"] = str(HERE / "amis.json")
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

from moto.server import main  # noqa: E402
from moto.ssm import models as ssm  # noqa: E402

import patch_apigateway  # noqa: E402,F401
import patch_cfn_types  # noqa: E402,F401
import patch_cloudformation  # noqa: E402,F401
import patch_cloudwatch  # noqa: E402,F401
import patch_dynamodb  # noqa: E402,F401
import patch_ec2  # noqa: E402,F401
import patch_lambda  # noqa: E402,F401
import patch_sns  # noqa: E402,F401

WINDOWS_PARAMETER = "/aws/service/ami-windows-latest/Windows_Server-2022-Japanese-Full-Base"
WINDOWS_AMI = json.loads((HERE / "amis.json").read_text())[0]["ami_id"]

_check_loading_status = ssm.ParameterDict._check_loading_status


def _with_windows_parameter(self, key):
    _check_loading_status(self, key)
    if str(key or "").startswith("/aws/service/ami-windows-latest") and not getattr(self, "_baken_windows", False):
        self._baken_windows = True
        dict.setdefault(self, WINDOWS_PARAMETER, []).append(
            ssm.Parameter(
                account_id=self.account_id,
                name=WINDOWS_PARAMETER,
                value=WINDOWS_AMI,
                parameter_type="String",
                description=None,
                allowed_pattern=None,
                keyid=None,
                last_modified_date=None,
                version=1,
                data_type="text",
            )
        )


ssm.ParameterDict._check_loading_status = _with_windows_parameter

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
