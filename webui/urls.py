from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "webui"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="webui/login.html"),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="webui:login"), name="logout"),
    path("items/", views.item_list, name="items"),
    path("items/new/", views.item_create, name="item-new"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("items/<int:pk>/edit/", views.item_edit, name="item-edit"),
    path("items/<int:pk>/submit/", views.item_submit, name="item-submit"),
    path("items/<int:pk>/withdraw/", views.item_withdraw, name="item-withdraw"),
    path("tasks/", views.tasks, name="tasks"),
]
