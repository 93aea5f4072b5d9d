//! `/admin/v1/iam`: the admin principals, a module each (users and their access keys,
//! groups, roles); their policies are `admin::policies`.

pub mod access_keys;
pub mod groups;
pub mod roles;
pub mod users;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    users::routes(cfg);
    access_keys::routes(cfg);
    groups::routes(cfg);
    roles::routes(cfg);
}
