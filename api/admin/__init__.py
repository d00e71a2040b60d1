"""Admin and master data operations behind the routes: promotions, coupon types, budgets,
article imports. Each function takes the worker's Services and the caller's tenant; routes stay
thin (parse, call one function, answer)."""
