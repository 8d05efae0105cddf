"""The application credentials the DingTalk tests give the stand-in (it makes its own per run
otherwise) and the bot."""

CLIENT_ID = "dingtestapp0001"  # the AppKey, also the robotCode
CLIENT_SECRET = "test-secret-0001"
