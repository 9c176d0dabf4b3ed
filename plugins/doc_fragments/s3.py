# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  endpoint_url:
    description:
      - URL of the S3 endpoint (Ceph RGW), for example V(http://rgw.homelab.lan:80).
      - Requests always use path-style addressing, as Ceph RGW behind Rook expects.
      - When the credentials come from an ObjectBucketClaim, this overrides the claim's in-cluster
        C(BUCKET_HOST), which the controller usually cannot resolve.
    type: str
    aliases: [s3_url]
  access_key:
    description:
      - S3 access key ID. Not needed when O(claim_name) is given.
    type: str
    aliases: [aws_access_key_id]
  secret_key:
    description:
      - S3 secret access key. Not needed when O(claim_name) is given. Never logged or returned.
    type: str
    aliases: [aws_secret_access_key]
  region:
    description:
      - Region used to sign requests. Ceph RGW accepts its zonegroup name, usually V(us-east-1).
      - When the credentials come from an ObjectBucketClaim, the claim's C(BUCKET_REGION) is used if set.
    type: str
    default: us-east-1
  s3_validate_certs:
    description:
      - Whether to verify the TLS certificate of an V(https) O(endpoint_url).
      - Named apart from O(validate_certs), which applies to the Kubernetes API server.
    type: bool
    default: true
  ca_bundle:
    description:
      - Path to a CA bundle that signed the S3 endpoint's certificate.
    type: path
requirements:
  - boto3 >= 1.28.0 (Python)
  - botocore >= 1.31.0 (Python)
"""
