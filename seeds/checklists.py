"""Routine-inspection checklists (日常监督检查要点), one per kind of business, after the
2016 checklist forms (食品生产经营日常监督检查管理办法). Shortened for the demo: the real
forms have more items, so each template's threshold is scaled down from the default 8."""
from __future__ import annotations

from sqlalchemy import select

from backend.common.actor import Actor
from backend.extensions import db
from backend.inspections import templates
from backend.inspections.models import ChecklistTemplate

# code, zh, en, kinds, threshold, items [(code, zh, en, key)]
CHECKLISTS = [
    ("routine-production", "食品生产日常监督检查要点表", "Routine inspection: food production",
     ["producer", "workshop"], 4, [
         ("P01", "食品生产许可证（小作坊登记证）合法有效并公示", "Production licence (workshop registration) valid and displayed", True),
         ("P02", "从业人员持有效健康证明", "Staff hold valid health certificates", True),
         ("P03", "原辅料进货查验记录及票证齐全", "Raw-material purchase inspection records and invoices complete", True),
         ("P04", "食品添加剂按标准使用并有使用记录", "Food additives used within standards, with use records", True),
         ("P05", "生产场所清洁，防鼠防虫设施完好", "Premises clean; rodent and insect control in place", False),
         ("P06", "出厂检验记录完整", "Release inspection records complete", False),
         ("P07", "产品标签标识符合规定", "Product labels comply", False),
         ("P08", "不合格品处置有记录", "Non-conforming products handled and recorded", False),
         ("P09", "生产设备清洗消毒有记录", "Equipment cleaning and disinfection recorded", False),
         ("P10", "贮存温湿度符合要求", "Storage temperature and humidity as required", False),
         ("P11", "配备食品安全管理人员并经培训考核", "Food safety manager appointed, trained and assessed", False),
         ("P12", "建立召回制度并有记录", "Recall procedure in place and recorded", False),
     ]),
    ("routine-distribution", "食品销售日常监督检查要点表", "Routine inspection: food sales and markets",
     ["retailer", "farmers_market", "wholesale_market", "stall", "cold_store"], 3, [
         ("D01", "经营许可证（备案凭证）合法有效并公示", "Sales licence (or filing) valid and displayed", True),
         ("D02", "从业人员持有效健康证明", "Staff hold valid health certificates", True),
         ("D03", "进货查验记录完整，票证留存（索证索票）", "Purchase inspection records and supplier documents kept", True),
         ("D04", "无超过保质期、腐败变质或无标签食品", "No expired, spoiled or unlabelled food", True),
         ("D05", "冷藏冷冻食品贮存温度符合要求", "Chilled and frozen food kept at the right temperature", False),
         ("D06", "散装食品标明名称、生产日期和保质期", "Bulk food labelled with name, production date, shelf life", False),
         ("D07", "市场开办者对食用农产品开展快检并公示", "Market operator rapid-tests produce and posts results", False),
         ("D08", "经营场所清洁，防鼠防虫", "Premises clean; rodent and insect control", False),
         ("D09", "临近保质期食品集中陈列并提示", "Near-expiry food displayed together and flagged", False),
         ("D10", "进口冷链食品具追溯信息", "Imported cold-chain food has trace information", False),
     ]),
    ("routine-catering", "餐饮服务日常监督检查要点表", "Routine inspection: catering",
     ["restaurant"], 3, [
         ("C01", "食品经营许可证合法有效并公示", "Catering licence valid and displayed", True),
         ("C02", "从业人员持健康证明并有晨检记录", "Staff health certificates and morning health checks", True),
         ("C03", "原料进货查验记录及票证齐全", "Ingredient purchase inspection records complete", True),
         ("C04", "餐饮具清洗消毒并保洁存放", "Tableware cleaned, disinfected and stored clean", True),
         ("C05", "加工制作生熟分开", "Raw and cooked food kept apart", True),
         ("C06", "食品添加剂专柜存放、专人负责、专用称量并记录", "Additives stored, weighed and recorded separately", False),
         ("C07", "冷藏冷冻设备温度符合要求", "Refrigeration temperatures as required", False),
         ("C08", "防鼠、防蝇、防尘设施完好", "Rodent, fly and dust control in place", False),
         ("C09", "餐厨废弃物处置有记录", "Kitchen waste disposal recorded", False),
         ("C10", "集体用餐按规定留样48小时", "Group-meal food samples kept 48 hours", False),
         ("C11", "实施明厨亮灶", "Open kitchen (cooking visible to diners)", False),
     ]),
    ("routine-farm", "种植养殖基地日常检查要点表", "Routine inspection: farms",
     ["farm"], 2, [
         ("F01", "农药、兽药使用有记录", "Pesticide and veterinary drug use recorded", True),
         ("F02", "执行安全间隔期、休药期", "Pre-harvest intervals and withdrawal periods observed", True),
         ("F03", "未使用禁用农药、兽药", "No banned pesticides or veterinary drugs", True),
         ("F04", "按规定开具承诺达标合格证", "Compliance certificates (承诺达标合格证) issued", False),
         ("F05", "农业投入品安全存放", "Farm inputs stored safely", False),
         ("F06", "生产记录保存两年以上", "Production records kept at least two years", False),
         ("F07", "水源和环境无明显污染", "Water and surroundings not visibly polluted", False),
     ]),
]


def load_checklists() -> int:
    """Publish version 1 of each checklist that does not exist yet."""
    created = 0
    for code, title_zh, title_en, kinds, threshold, items in CHECKLISTS:
        if db.session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.code == code)):
            continue
        template = templates.create_draft(
            Actor.system(), code=code, title_zh=title_zh, title_en=title_en, facility_kinds=kinds,
            threshold=threshold,
            items=[{"code": c, "text_zh": zh, "text_en": en, "key_item": key} for c, zh, en, key in items])
        templates.publish(Actor.system(), template)
        created += 1
    return created
