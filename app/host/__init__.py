"""The Open Badges 3.0 Host: the standard REST API by which another service (a wallet, a
school's system), authorised by the participant with OAuth 2.0, reads and adds the
participant's badges and profile (issue #16; docs/decisions/0023-ob3-host-api.md).

`API_PATH` is where the API answers (its service description names the rest); `oauth` is
the authorization server (Authlib's grants and endpoints over our tables),
`service` the resource rules (what a client sees and may change), `access` what the
participant sees of the clients she has let in.
"""

API_PATH = "/ims/ob/v3p0"
AUTHORIZE_PATH = API_PATH + "/auth/authorize"
