"""What one synthetic block is made of, written down as constants: its counts as the public report
gives them, the exceptions designed into it for the rules to find, and the words its names and
titles are drawn from. The code that draws the city from them is in ``generate_city`` and
``generate_events``.
"""

from __future__ import annotations

__all__ = [
    # the counts of one block
    "COMMUNITIES", "GRIDS", "UNITS", "IN_SERVICE", "GRID_LEADERS", "COMMITTEE_MEMBERS",
    "COMMUNITY_WORKERS", "GROUPS", "PREMISES_M2", "UNIT_KINDS", "WINDOW_MONTHS", "FIRST_OF_YEAR",
    # designed exceptions
    "UNITS_MISSING_REPORTS", "QUARTERS_WITHOUT_COLLECTIVE", "HALVES_WITHOUT_MEETING",
    "MISSED_INSPECTIONS", "OVERDUE_FINDINGS_PRIOR_YEAR", "OVERDUE_FINDINGS_THIS_YEAR", "LATE_JOINERS",
    "AbsenceCase", "ABSENCE_DESIGN",
    # names and titles
    "CITIES", "COMMUNITY_NAMES", "SURNAMES", "GIVEN", "GOVERNMENT", "INSTITUTIONS", "ENTERPRISES",
    "OTHER_UNITS", "BRANDS", "TRADES", "THEME_DAYS", "COLLECTIVES", "LESSONS", "VOLUNTEERING_ALL_YEAR",
    "VOLUNTEERING_WINTER", "VOLUNTEERING_SUMMER", "STAFF_MEETINGS", "AGREED_ITEMS", "FINDINGS",
]

# --- The counts of one block, as the report gives them -------------------------------------

COMMUNITIES = 9
GRIDS = 120
UNITS = 160
IN_SERVICE = 2174
GRID_LEADERS = 120  # one per grid
COMMITTEE_MEMBERS = 50
COMMUNITY_WORKERS = 57
GROUPS = 6
PREMISES_M2 = 10004
UNIT_KINDS: tuple[tuple[str, int], ...] = (
    ("party_government", 45),
    ("public_institution", 40),
    ("enterprise", 28),
    ("new_economic_social", 30),
    ("other", 17),
)
WINDOW_MONTHS = 18  # {year-1}-07 .. {year}-12
FIRST_OF_YEAR = 6  # window month index of January of the evaluation year

# --- Designed exceptions per block (everything else complies) ------------------------------

UNITS_MISSING_REPORTS = 15  # in the evaluation year, 1-3 months each
QUARTERS_WITHOUT_COLLECTIVE = 2
HALVES_WITHOUT_MEETING = 1
MISSED_INSPECTIONS = 10
OVERDUE_FINDINGS_PRIOR_YEAR = 4
OVERDUE_FINDINGS_THIS_YEAR = 11
LATE_JOINERS = 100  # in-service members reporting in inside the window, besides designed ones

# Absence streaks, as (how many members, absent window-month spans inclusive, report-in as
# (window month, day; 0 = last day) or None for before the window, decoy). A decoy member
# attends a non-co-building meeting while absent, which must not break the streak.
# Window month 0 is July of the prior year, 6 is January, 17 is December.
AbsenceCase = tuple[int, tuple[tuple[int, int], ...], tuple[int, int] | None, bool]
ABSENCE_DESIGN: tuple[AbsenceCase, ...] = (
    # entirely inside the year
    (4, ((8, 13),), None, False),
    (3, ((6, 11),), None, False),
    (3, ((12, 17),), None, False),
    (2, ((7, 14),), None, False),
    (2, ((9, 17),), None, False),
    (2, ((6, 17),), None, False),  # 12 months: one outcome, not a second one at month 12
    (2, ((8, 13),), None, True),
    # starting in the prior half year, reaching 6 inside the year
    (3, ((1, 6),), None, False),
    (3, ((3, 8),), None, False),
    (2, ((5, 10),), None, False),
    (2, ((4, 12),), None, False),
    # reaching 6 in December of the prior year (nothing in the year itself)
    (3, ((0, 7),), None, False),
    (2, ((0, 11),), None, False),
    (2, ((0, 17),), None, False),
    (1, ((0, 5),), None, False),
    # near misses: 5 months
    (3, ((8, 12),), None, False),
    (2, ((13, 17),), None, False),
    (2, ((3, 7),), None, False),
    (1, ((1, 5),), None, False),
    (1, ((6, 10), (12, 16)), None, False),
    # two streaks in the window
    (2, ((2, 7), (9, 14)), None, False),
    (2, ((0, 5), (7, 12)), None, False),
    (1, ((1, 6), (8, 16)), None, False),
    # reporting in inside the window, then absent (earlier months do not count)
    (2, ((8, 17),), (8, 20), False),
    (2, ((2, 7),), (2, 10), False),
    (2, ((13, 17),), (13, 5), False),
    (1, ((5, 10),), (4, 25), False),
    (1, ((10, 15),), (10, 0), False),
    (1, ((8, 12),), (8, 20), False),
)

# --- Names ---------------------------------------------------------------------------------

CITIES: tuple[tuple[str, str], ...] = (
    ("同江市", "同江"), ("富锦市", "富锦"), ("抚远市", "抚远"), ("桦川县", "桦川"),
    ("桦南县", "桦南"), ("汤原县", "汤原"), ("绥滨县", "绥滨"), ("集贤县", "集贤"),
    ("宝清县", "宝清"), ("饶河县", "饶河"), ("萝北县", "萝北"), ("友谊县", "友谊"),
)
COMMUNITY_NAMES = (
    "东江 西江 三江 临江 兴华 新华 胜利 和平 街津 沿江 滨江 江畔 江北 松花 赫哲 光明 幸福 振兴 "
    "繁荣 团结 长青 长安 建设 民主 育才 东升 向阳 朝阳 红旗 永安 安康 康乐 富强 丰收 金港 口岸 "
    "站前 中心 新兴 北岸 怡园 祥和 锦绣 华南 华兴 民安 福安 富民 兴隆 太平 新城 老城 东风 前进 "
    "学府 人民 中央 春晖 德兴 嘉园 同兴 同乐 同心 同和 江城 东港 西港 新港 港湾 江心 花园 新村 "
    "铁路 电力 林业 农垦 水利 中华 联合 远航 腾飞 启航 兴业 银河 星光 白桦 青松 松林 龙江 北疆 "
    "黑土 鸿福 瑞祥 宏达 安居 乐业 百合 文化 友谊 江南"
).split()
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡"
    "贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
    "雷钱汤尹黎易常武乔贺赖龚文尤毕付隋佟关"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚辉玲桂英华红建国志文斌波宇浩凯鹏飞鑫晶丹萍燕雪"
    "梅琳颖婷欣慧佳雨博成东海峰林森龙庆春秋冬立新宏永福德贵兰凤玉秀淑珍荣宁微晓亮健彬帅俊"
)
GOVERNMENT = (
    "中共{c}委办公室 {c}人民政府办公室 中共{c}委组织部 中共{c}委宣传部 中共{c}委统战部 "
    "中共{c}委政法委员会 中共{c}纪律检查委员会 {c}人大常委会办公室 政协{c}委员会办公室 "
    "中共{c}委党校 {c}发展和改革局 {c}教育局 {c}工业信息化和科技局 {c}公安局 {c}民政局 "
    "{c}司法局 {c}财政局 {c}人力资源和社会保障局 {c}自然资源局 {c}生态环境局 "
    "{c}住房和城乡建设局 {c}交通运输局 {c}水务局 {c}农业农村局 {c}商务局 {c}文体广电和旅游局 "
    "{c}卫生健康局 {c}退役军人事务局 {c}应急管理局 {c}审计局 {c}市场监督管理局 {c}统计局 "
    "{c}医疗保障局 {c}林业和草原局 {c}城市管理综合执法局 {c}营商环境建设监督局 {c}信访局 "
    "{c}人民法院 {c}人民检察院 国家税务总局{c}税务局 {c}总工会 共青团{c}委员会 {c}妇女联合会 "
    "{c}残疾人联合会 {c}科学技术协会 {c}工商业联合会 {c}消防救援大队"
).split()
INSTITUTIONS = (
    "{c}第一中学 {c}第二中学 {c}第三中学 {c}实验中学 {c}第一小学 {c}第二小学 {c}第三小学 "
    "{c}实验小学 {c}第一幼儿园 {c}职业技术教育中心 {c}人民医院 {c}中医医院 {c}妇幼保健院 "
    "{c}疾病预防控制中心 {c}图书馆 {c}文化馆 {c}融媒体中心 {c}档案馆 {c}社会保险事业服务中心 "
    "{c}公共资源交易中心 {c}不动产登记中心 {c}政务服务中心 {c}机关事务服务中心 "
    "{c}城市管理服务中心 {c}农业技术推广中心 {c}水利工程管理站 {c}气象局 {c}园林绿化中心 "
    "{c}环境卫生服务中心 {c}住房公积金管理中心 {c}就业服务中心 {c}社会福利院 {c}救助管理站 "
    "{c}老年大学 {c}青少年活动中心 {c}体育场馆管理中心 {c}动物疫病预防控制中心 "
    "{c}口岸服务中心 {c}博物馆 {c}社区卫生服务中心"
).split()
ENTERPRISES = (
    "国网{c}供电公司 {c}自来水有限责任公司 {c}热电有限公司 中国移动{s}分公司 中国联通{s}分公司 "
    "中国电信{s}分公司 中国邮政集团{c}分公司 中国工商银行{s}支行 中国农业银行{s}支行 "
    "中国银行{s}支行 中国建设银行{s}支行 中国邮政储蓄银行{c}支行 {c}农村信用合作联社 "
    "中国人寿保险{s}支公司 中国人民财产保险{s}支公司 中国石油{s}分公司 中国石化{s}分公司 "
    "{s}港务有限公司 {c}城市建设投资有限公司 {c}粮食储备库 中储粮{s}直属库 {c}公共交通有限公司 "
    "{c}燃气有限公司 {c}供热有限公司 {c}国有资产经营有限公司 中国烟草{c}分公司 {s}火车站 "
    "{c}水务投资有限公司"
).split()
OTHER_UNITS = (
    "{c}个体劳动者协会 {c}慈善总会 {c}红十字会 {c}计划生育协会 {c}关心下一代工作委员会 "
    "{c}老干部活动中心 {c}民营企业家协会 {c}作家协会 {c}书法家协会 {c}志愿者协会 "
    "{c}见义勇为基金会 {c}个体私营企业协会 {c}物流行业协会 {c}餐饮行业协会 {c}老年人体育协会 "
    "{c}律师协会 {c}退役军人服务中心"
).split()
BRANDS = (
    "鑫达 恒信 华瑞 泰和 宏远 金港 三江 江城 龙江 北疆 盛源 佳禾 福润 兴业 天泽 瑞丰 润达 嘉诚 "
    "通达 昌盛 鼎盛 宏图 聚源 永昌 和顺 东方 同心 赫哲 黑土 金穗 亿丰 博远 鸿运 凯旋"
).split()
TRADES = (
    "商贸 物流 建筑工程 物业服务 旅游开发 农业科技 餐饮管理 房地产开发 电子商务 米业 渔业 "
    "装饰工程 医药连锁 汽车销售 信息技术 对俄贸易 食品加工 广告传媒"
).split()
THEME_DAYS = (
    "主题党日：重温入党誓词", "主题党日：党纪学习教育", "主题党日：学习党章党规",
    "主题党日：“我为群众办实事”实践活动", "主题党日：观看警示教育片", "主题党日：参观红色教育基地",
)
COLLECTIVES = (
    "联学共建集中活动：社区环境综合整治", "联学共建集中活动：文明城市创建",
    "联学共建集中活动：邻里节", "联学共建集中活动：关爱困难群众走访慰问",
    "联学共建集中活动：防汛安全宣传", "联学共建集中活动：冬季清雪除冰",
)
LESSONS = ("党课：学习贯彻党的创新理论", "党课：基层党组织建设", "党课：践行全心全意为人民服务宗旨")
VOLUNTEERING_ALL_YEAR = (
    "志愿服务：关爱空巢老人", "志愿服务：文明交通劝导", "志愿服务：政策宣讲", "志愿服务：微心愿认领",
    "志愿服务：垃圾分类宣传", "志愿服务：反诈宣传", "志愿服务：义诊", "志愿服务：邻里纠纷调解",
)
VOLUNTEERING_WINTER = ("志愿服务：扫雪除冰", "志愿服务：冬季供暖走访")  # November-March on the Heilong
VOLUNTEERING_SUMMER = ("志愿服务：防汛巡堤", "志愿服务：环境卫生整治")  # flood season
STAFF_MEETINGS = ("网格员业务培训", "社区工作者例会", "居委会工作例会")
AGREED_ITEMS = (
    "老旧小区改造协调", "社区停车位规划", "共建“红色物业”", "帮扶困难家庭", "冬季供热问题协调",
    "社区活动场所共享", "背街小巷路灯维修", "社区养老服务站建设", "垃圾分类设施配置",
    "文明交通劝导岗设置", "防汛物资储备", "在职党员认领服务岗位",
)
FINDINGS = (
    "“三会一课”记录不规范", "党费收缴台账不完整", "在职党员报到信息未及时更新", "共建项目推进缓慢",
    "主题党日活动开展不经常", "党建阵地标识不规范", "组织生活会会前谈心谈话不充分",
    "发展党员程序材料不全", "党员教育管理台账缺失", "联席会议议定事项未跟踪落实",
)
