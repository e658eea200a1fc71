"""The kind of application the web UI's frame holds: a menu, gated by role."""

from viewflow.urls import Application


class RoleApplication(Application):
    """An application shown to people holding any of `roles` (everyone signed in if empty).

    `menu` lists (url name, label, material icon[, roles]) for the drawer; url names are
    relative to the application's namespace, and an entry with roles shows only to people
    holding one of them.
    """

    menu_template_name = "webui/includes/app_menu.html"
    roles: tuple = ()
    menu: tuple = ()
    # people holding one of these land here after login (default: `roles`)
    home_for: tuple | None = None

    def is_home_for(self, user) -> bool:
        home_for = self.roles if self.home_for is None else self.home_for
        return any(user.has_role(role) for role in home_for)

    def has_view_permission(self, user, obj=None):
        # Anonymous people pass here so that the views' login_required sends them to the
        # login page; viewflow's SiteMiddleware answers 403 to a signed-in person without
        # one of the roles.
        if not user.is_authenticated or not self.roles:
            return True
        return any(user.has_role(role) for role in self.roles)

    def menu_links(self, user):
        links = []
        for name, label, icon, *roles in self.menu:
            if not roles or any(user.has_role(role) for role in roles[0]):
                links.append((self.reverse(name), label, icon))
        return links
