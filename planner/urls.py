from django.urls import path

from planner import views

app_name = "planner"

urlpatterns = [
    path("r/done/<str:token>/", views.mark_done, name="mark-done"),
    path("r/replan/<str:token>/", views.replan, name="replan"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
]
