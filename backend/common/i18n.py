"""Problem titles in zh-CN (default) and en, chosen by Accept-Language (DESIGN.md §10)."""
from __future__ import annotations

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"

# code -> (zh-CN, en)
TITLES: dict[str, tuple[str, str]] = {
    "bad_request": ("请求无效", "Bad request"),
    "unauthorized": ("未认证或令牌无效", "Not authenticated"),
    "forbidden": ("无权执行此操作", "Forbidden"),
    "not_found": ("未找到", "Not found"),
    "method_not_allowed": ("不支持此方法", "Method not allowed"),
    "conflict": ("与现有数据冲突", "Conflict"),
    "precondition_failed": ("资源已被修改", "Precondition failed"),
    "precondition_required": ("缺少 If-Match 请求头", "Precondition required"),
    "payload_too_large": ("请求体过大", "Payload too large"),
    "uri_too_long": ("请求地址过长", "URI too long"),
    "header_fields_too_large": ("请求头过大", "Request header fields too large"),
    "unsupported_encoding": ("不支持的文件编码", "Unsupported file encoding"),
    "unsupported_media_type": ("不支持的内容类型", "Unsupported media type"),
    "validation_error": ("输入校验失败", "Validation failed"),
    "rule_violation": ("违反业务规则", "Rule violation"),
    "too_many_requests": ("请求过于频繁", "Too many requests"),
    "account_locked": ("账户暂时锁定", "Account temporarily locked"),
    "invalid_credentials": ("用户名或密码错误", "Invalid username or password"),
    "token_expired": ("令牌已过期", "Token expired"),
    "token_invalid": ("令牌无效", "Invalid token"),
    "token_revoked": ("令牌已撤销", "Token revoked"),
    "token_missing": ("缺少访问令牌", "Missing access token"),
    "refresh_token_reused": ("刷新令牌被重复使用，会话已全部撤销", "Refresh token reused; session revoked"),
    "database_unavailable": ("数据库暂不可用", "Database unavailable"),
    "worker_unavailable": ("后台任务进程未运行", "Background worker not running"),
    "internal_error": ("服务器内部错误", "Internal server error"),
    "unknown_reference": ("引用的对象不存在", "Referenced object does not exist"),
    "still_referenced": ("仍有其他数据引用此对象", "Still referenced by other data"),
    # field checks, attachments, sync
    "check_id_reused": ("该检查编号已用于另一份检查", "Check id already used for a different check"),
    "check_id_taken": ("该检查编号属于其他用户", "Check id belongs to another user"),
    "results_mismatch": ("检查结果与检查表版本不符", "Results do not match the checklist version"),
    "unknown_template_version": ("检查表版本不存在或未发布", "Unknown or unpublished checklist version"),
    "facility_out_of_scope": ("该主体不在您负责的网格内", "Facility outside your grid cells"),
    "illegal_transition": ("当前状态下不能执行此操作", "Not allowed in the current state"),
    "content_type_mismatch": ("文件内容与声明的类型不符", "File content does not match its Content-Type"),
    "truncated_upload": ("文件不完整", "Incomplete file"),
    "empty_upload": ("文件为空", "Empty file"),
    "attachment_id_reused": ("该附件编号已用于其他文件", "Attachment id already used for other content"),
    "attachment_id_taken": ("该附件编号属于其他用户", "Attachment id belongs to another user"),
    "invalid_cursor": ("同步游标无效", "Invalid sync cursor"),
    # traceability, sampling, recalls
    "event_id_reused": ("该事件编号已用于不同内容", "Event id already used for different content"),
    "unknown_lot": ("批次不存在", "Unknown lot"),
    "unknown_check": ("检查记录不存在", "Unknown check"),
    "unknown_facility": ("主体不存在", "Unknown facility"),
    "unknown_task": ("任务不存在", "Unknown task"),
    "sample_id_reused": ("该样品编号已用于另一份样品", "Sample id already used for a different sample"),
    "duplicate_sample_no": ("封签编号已被其他样品使用", "Seal number already on another sample"),
    "unit_mismatch": ("计量单位不一致", "Unit mismatch"),
    "epcis_invalid": ("EPCIS 文档不符合规范", "Invalid EPCIS document"),
    "invalid_spreadsheet": ("表格无法读取", "Spreadsheet cannot be read"),
    "no_limit": ("没有适用的限量标准", "No applicable limit"),
    "sample_not_in_lab": ("样品尚未送达实验室", "Sample not in the lab"),
    "retest_window_closed": ("复检申请期限已过", "Re-test window closed"),
    "rapid_retest": ("快检复检不得采用快检方法", "A rapid test's re-test may not be rapid"),
    "verification_pending": ("尚有单位未核查或豁免", "Verification pending"),
    "above_distributed": ("回收数量超过分销数量", "More than was distributed"),
    "not_in_scope": ("该单位不在召回范围内", "Not in the recall's scope"),
    "wrong_lots": ("批次不存在或不属于该生产者", "Unknown lots or another producer's"),
}


def pick_language(accept_language) -> str:
    """Best of our languages for a werkzeug LanguageAccept header (zh-CN when none fits)."""
    if accept_language is None:
        return DEFAULT_LANGUAGE
    best = accept_language.best_match(["zh-CN", "zh", "en"], default=DEFAULT_LANGUAGE)
    return "en" if best == "en" else "zh-CN"


def title(code: str, language: str, fallback: str | None = None) -> str:
    """The code's own title, else the title of its HTTP status (`fallback`), else a generic one."""
    zh, en = TITLES.get(code) or TITLES.get(fallback or "", TITLES["bad_request"] if code else TITLES["internal_error"])
    return en if language == "en" else zh
