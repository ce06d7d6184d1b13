"""An email subscription waits for its address to confirm it: AWS reports it as pending until the
recipient follows the link in the confirmation mail. ListSubscriptionsByTopic gives such a
subscription the SubscriptionArn "PendingConfirmation", and GetSubscriptionAttributes says
PendingConfirmation "true" (Subscribe, ListSubscriptionsByTopic and GetSubscriptionAttributes in
the Amazon SNS API Reference). moto 5.2.5 confirms every subscription at once; here email and
email-json subscriptions stay pending, as no mail can be followed on the emulator.
"""
from moto.sns import models

_subscribe = models.SNSBackend.subscribe

PENDING_PROTOCOLS = ("email", "email-json")


def _subscribe_pending(self, topic_arn, endpoint, protocol):
    subscription = _subscribe(self, topic_arn, endpoint, protocol)
    if protocol in PENDING_PROTOCOLS and not subscription.confirmed:
        subscription.attributes["PendingConfirmation"] = "true"
        subscription.attributes["ConfirmationWasAuthenticated"] = "false"
    return subscription


models.SNSBackend.subscribe = _subscribe_pending


def _listed_arn(self):
    if self.protocol in PENDING_PROTOCOLS and not self.confirmed:
        return "PendingConfirmation"
    return self.arn


# The response serializer looks for `subscription_arn` before the model's `arn`.
models.Subscription.subscription_arn = property(_listed_arn)
