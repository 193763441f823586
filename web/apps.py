from django.apps import AppConfig


class WebConfig(AppConfig):
    """Site-wide pages and assets: the layout, home, sign-up, vendored JavaScript.

    Concept, track and team pages live in kb; plan pages in planner. This app
    holds only what belongs to neither, so kb never has to import planner.
    """

    name = "web"
    verbose_name = "Web site"
