from django.apps import AppConfig


class PrepgraphConfig(AppConfig):
    """The project package as an app, so its system checks (prepgraph.checks) run.

    It has no models, templates or static files.
    """

    name = "prepgraph"
    verbose_name = "prepgraph (project)"

    def ready(self) -> None:
        from django.core import checks

        from prepgraph.checks import email_is_delivered

        # Deploy-only: a planner run from the command line needs no mail server, and every
        # command would print the warning; compose's migrate service runs check --deploy.
        checks.register(email_is_delivered, deploy=True)
